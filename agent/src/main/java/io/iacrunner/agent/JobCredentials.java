package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.JobToken;
import io.iacrunner.protocol.JobTokenRequest;
import io.iacrunner.protocol.TaskAssignment;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task attempt's job token: the only credential its uploads (log, plan, state, phase, result) are accepted with,
 * so a leak of it exposes one attempt, not the agent. It comes with the claim; a new one is asked for with the agent
 * token when it nears its end, when the server refuses it, or when the agent restarted and has only a spooled log.
 */
final class JobCredentials implements Credentials {
    private static final Logger log = LoggerFactory.getLogger(JobCredentials.class);
    /** Job tokens live an hour: ask for the next one well before, so an upload never carries an expired one. */
    static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(20);

    private final AgentSession session;
    private final String taskId;
    private final int attempt;
    private final ApiClient api;
    private final AgentClock clock;
    private volatile JobToken current;
    private volatile long generation;

    /**
     * @param initial the token that came with the claim; null to ask for one on first use
     * @param clock what the token's expiry is compared with
     */
    JobCredentials(AgentSession session, String taskId, int attempt, JobToken initial, AgentClock clock) {
        this.session = session;
        this.taskId = taskId;
        this.attempt = attempt;
        this.current = initial;
        this.clock = clock;
        this.api = session.api().withToken(this::token);
    }

    /** With the token the claim brought. */
    static JobCredentials forClaim(AgentSession session, TaskAssignment task, AgentClock clock) {
        JobToken initial = task.jobToken() == null ? null : new JobToken(task.jobToken(), task.jobTokenExpiresAt());
        return new JobCredentials(session, task.taskId(), task.attempt(), initial, clock);
    }

    @Override
    public ApiClient api() {
        return api;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public synchronized void renew(long generationSeen) {
        if (generation == generationSeen) fetch();
    }

    /**
     * The token to send. With none at all (a restarted agent's first upload, whose request for one failed) the request
     * is not sent: it fails here with the reason the token was refused (a stale attempt, say), rather than reaching the
     * server without a credential, which would only be refused as an authentication failure.
     */
    private String token() {
        JobToken token = current;
        if (token == null
                || token.expiresAt() == null
                || clock.now().isAfter(token.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
            synchronized (this) {
                ApiException failure = current == token ? fetch() : null;
                token = current;
                if (token == null)
                    throw failure != null ? failure : new ApiException(0, ErrorCodes.UNREACHABLE, "no job token yet");
            }
        }
        return token.token();
    }

    /**
     * Best effort: if the server will not give a new token, the upload goes with the old one (or fails, without one)
     * and its caller's rules take over. Returns why there is no new token, or null.
     */
    private ApiException fetch() {
        long agentGeneration = session.generation();
        try {
            JobToken fresh = session.api()
                    .post(ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, taskId), new JobTokenRequest(attempt), JobToken.class);
            if (fresh == null || fresh.token() == null)
                throw new ApiException(200, ErrorCodes.BAD_REPLY, "the job token reply is empty");
            current = fresh;
            generation++;
            return null;
        } catch (ApiException e) {
            log.warn("task {} attempt {}: no new job token: {}", taskId, attempt, e.toString());
            if (ApiFailures.agentRejected(e)) session.renew(agentGeneration);
            return e;
        }
    }
}
