package io.iacrunner.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.logs.LogShipper;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Backoff;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.agent.util.OutageLog;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanFile;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the server about one attempt: its phase, the state an apply left, its result. Each must arrive (the server
 * may be restarting), so transient failures are retried until the attempt is dropped (the agent lost its lease);
 * {@code stale_attempt} ends the attempt, and any other refusal is the caller's to report.
 */
final class TaskReporter {
    private static final Logger log = LoggerFactory.getLogger(TaskReporter.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration MAX_RETRY = Duration.ofSeconds(10);
    /** How often a result refused with {@code log_gap} is sent again after the lines were: each round is progress. */
    private static final int LOG_GAP_ROUNDS = 10;

    private final Credentials credentials;
    private final String taskId;
    private final int attempt;
    private final CountDownLatch dropped;
    private final AgentClock clock;

    /**
     * @param dropped counted down when nothing more may be reported for the attempt
     * @param clock what the retries wait on
     */
    TaskReporter(Credentials credentials, String taskId, int attempt, CountDownLatch dropped, AgentClock clock) {
        this.credentials = credentials;
        this.taskId = taskId;
        this.attempt = attempt;
        this.dropped = dropped;
        this.clock = clock;
    }

    void phase(TaskPhase phase) throws StaleAttemptException, InterruptedException {
        deliver(
                "phase " + phase.wireName(),
                () -> credentials
                        .api()
                        .post(ApiPaths.fill(ApiPaths.TASK_PHASE, taskId), new PhaseUpdate(attempt, phase), Void.class));
    }

    void plan(PlanSummary summary) throws StaleAttemptException, InterruptedException {
        deliver(
                "plan summary",
                () -> credentials
                        .api()
                        .post(ApiPaths.fill(ApiPaths.TASK_PLAN, taskId), new PlanReport(attempt, summary), Void.class));
    }

    void state(ObjectNode state) throws StaleAttemptException, InterruptedException {
        deliver(
                "state upload",
                () -> credentials
                        .api()
                        .put(ApiPaths.fill(ApiPaths.TASK_STATE, taskId), new StateUpload(attempt, state), Void.class));
    }

    /** The plan the attempt made, for a person to review or for a later {@code task apply}. */
    void planFile(PlanFileUpload upload) throws StaleAttemptException, InterruptedException {
        deliver(
                "plan upload",
                () -> credentials.api().put(ApiPaths.fill(ApiPaths.TASK_PLAN_FILE, taskId), upload, Void.class));
    }

    /**
     * The stored plan this attempt applies. A server that ended the run instead (the state moved since the plan:
     * {@code stale_plan}; or no plan is stored) has nothing more to hear from this attempt.
     */
    PlanFile storedPlan() throws StaleAttemptException, InterruptedException {
        try {
            return deliver(
                    "plan download",
                    () -> credentials
                            .api()
                            .get(
                                    ApiPaths.fill(ApiPaths.TASK_PLAN_FILE, taskId) + "?attempt=" + attempt,
                                    PlanFile.class));
        } catch (ApiException e) {
            if (ErrorCodes.STALE_PLAN.equals(e.code()) || ErrorCodes.NO_STORED_PLAN.equals(e.code())) {
                throw new StaleAttemptException("the server ended the run: " + e.getMessage());
            }
            throw e;
        }
    }

    /** The attempt will not run here and has not begun: the server queues the task again. */
    void handBack(String reason) throws StaleAttemptException, InterruptedException {
        deliver(
                "hand-back",
                () -> credentials
                        .api()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_HAND_BACK, taskId),
                                new HandBack(attempt, reason),
                                Void.class));
    }

    void result(TaskResult result) throws StaleAttemptException, InterruptedException {
        deliver(
                "result",
                () -> credentials.api().post(ApiPaths.fill(ApiPaths.TASK_RESULT, taskId), result, Void.class));
    }

    /**
     * The attempt's last word: flushes its log, then delivers the result with the log's completion proof. A result the
     * server refuses with {@code log_gap} (it holds fewer lines than the agent kept: its store lost some) makes the
     * shipper send them again from the spool, and the result goes again.
     */
    LogShipper.Proof finish(LogShipper logs, TaskRunner.Outcome outcome)
            throws StaleAttemptException, InterruptedException {
        for (int round = 1; ; round++) {
            LogShipper.Proof proof = logs.flush();
            if (dropped.getCount() == 0 || logs.isAbandoned()) {
                throw new StaleAttemptException("the attempt was dropped before its result");
            }
            if (logs.isStale()) throw new StaleAttemptException("the server refused its log");
            try {
                result(new TaskResult(
                        attempt,
                        outcome.status(),
                        outcome.exitCode(),
                        outcome.message(),
                        proof.lines(),
                        proof.sha256(),
                        outcome.terraformKilled(),
                        proof.lost(),
                        proof.lostReason()));
                return proof;
            } catch (ApiException e) {
                if (!ApiFailures.logGap(e) || round == LOG_GAP_ROUNDS) throw e;
                logs.resync();
            }
        }
    }

    private <T> T deliver(String what, Supplier<T> call) throws StaleAttemptException, InterruptedException {
        String label = what + " of task " + taskId + " attempt " + attempt;
        Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY);
        OutageLog outage = new OutageLog(log, label);
        boolean registeredAgain = false;
        while (true) {
            if (dropped.getCount() == 0) throw new StaleAttemptException(label + " not sent: the attempt was dropped");
            long generation = credentials.generation();
            try {
                T reply = call.get();
                outage.recovered();
                return reply;
            } catch (ApiException e) {
                if (ApiFailures.staleAttempt(e)) throw new StaleAttemptException(label + " refused: " + e.getMessage());
                if (ApiFailures.agentRejected(e)) {
                    // Refused under a fresh registration too: the attempt belongs to the agent we were before.
                    if (registeredAgain)
                        throw new StaleAttemptException(label + " refused after registering again: " + e.getMessage());
                    credentials.renew(generation);
                    registeredAgain = true;
                } else if (e.isTransient()) {
                    outage.failed(e);
                } else {
                    throw e;
                }
            }
            if (clock.await(dropped, backoff.next())) {
                throw new StaleAttemptException(label + " given up: the attempt was dropped");
            }
        }
    }
}
