package io.iacrunner.server.agents;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.auth.Tokens;
import io.iacrunner.server.pools.PoolStore;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.tasks.LeaseMonitor;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.util.AgentVersion;
import io.iacrunner.server.util.Ids;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registration, heartbeats and the agent list. */
public final class AgentService {
    private static final Logger log = LoggerFactory.getLogger(AgentService.class);
    static final Duration AGENT_TOKEN_TTL = Duration.ofHours(1);
    /** Renew when less than this is left, so a few missed pings never leave an agent with an expired token. */
    static final Duration RENEW_BELOW = Duration.ofMinutes(30);

    private final Jdbi jdbi;
    private final AgentStore agents;
    private final PoolStore pools;
    private final TaskStore tasks;
    private final Tokens tokens;
    private final Clock clock;
    private final Duration pingInterval;
    private final Duration lease;
    private final Duration lostApplyWindow;
    private final LeaseMonitor leases;

    /**
     * @param lostApplyWindow how long an apply waits for its silent agent: that agent may still come back as itself
     *     (with its expired token) for this long
     * @param leases recovers the tasks of an agent that deregisters at once, and those an agent's heartbeat no longer
     *     lists
     */
    public AgentService(
            Jdbi jdbi,
            AgentStore agents,
            PoolStore pools,
            TaskStore tasks,
            Tokens tokens,
            Clock clock,
            Duration pingInterval,
            Duration lease,
            Duration lostApplyWindow,
            LeaseMonitor leases) {
        this.jdbi = jdbi;
        this.agents = agents;
        this.pools = pools;
        this.tasks = tasks;
        this.tokens = tokens;
        this.clock = clock;
        this.pingInterval = pingInterval;
        this.lease = lease;
        this.lostApplyWindow = lostApplyWindow;
        this.leases = leases;
    }

    public RegisterResponse register(Principal.PoolMember member, RegisterRequest request) {
        String name = request.name() == null ? "" : request.name().trim();
        if (name.isEmpty() || name.length() > 128) {
            throw ApiProblem.badRequest("invalid_agent_name", "name is required, at most 128 characters");
        }
        PoolConfig pool = pools.find(member.poolId())
                .orElseThrow(
                        () -> ApiProblem.notFound("pool_not_found", "pool '" + member.poolId() + "' does not exist"));
        requireVersion(pool, request.version());
        String agentId = resumed(request, pool.poolId()).orElse(null);
        if (agentId != null) {
            log.info("agent {} came back as {} in pool {} (its token had expired)", name, agentId, pool.poolId());
        } else {
            agentId = Ids.agent();
            agents.insert(
                    agentId,
                    name,
                    pool.poolId(),
                    limit(request.version()),
                    limit(request.hostname()),
                    request.isolation());
            log.info("agent {} registered as {} in pool {}", name, agentId, pool.poolId());
        }
        Tokens.Issued token = tokens.issueAgent(agentId, pool.poolId(), AGENT_TOKEN_TTL);
        if (request.isolation() == Isolation.NONE) {
            log.warn(
                    "agent {} ({}) runs its tasks WITHOUT a sandbox (--isolation none): they can read its credentials",
                    name,
                    agentId);
        }
        return new RegisterResponse(
                agentId, token.token(), token.expiresAt(), pool, (int) pingInterval.toSeconds(), (int)
                        lease.toSeconds());
    }

    /**
     * The agent a returning agent was, when it proves it (a genuine agent token of this pool, expired less than the
     * lost-apply window ago) and the server still knows it: an agent cut off longer than its token lived must get its
     * own identity back, or the applies it ran meanwhile could never be delivered. Its heartbeat is renewed.
     */
    private java.util.Optional<String> resumed(RegisterRequest request, String poolId) {
        if (request.resumeAgentToken() == null) return java.util.Optional.empty();
        return tokens.formerAgent(request.resumeAgentToken(), lostApplyWindow)
                .filter(former -> poolId.equals(former.poolId()))
                .flatMap(former -> agents.touch(former.agentId(), null, limit(request.version()), request.isolation()))
                .map(AgentStore.AgentRow::agentId);
    }

    /**
     * Records the heartbeat (renewing the agent's lease) and answers with the pool's current settings, cancel orders
     * (canceled by a user; or reported by the agent but no longer its running attempt: stop at once), the lease,
     * and a renewed token when due.
     */
    public PingReply ping(Principal.Agent agent, AgentPing ping) {
        if (ping.agentId() != null && !ping.agentId().equals(agent.agentId())) {
            throw ApiProblem.badRequest("agent_id_mismatch", "agent_id in the body differs from the token's agent");
        }
        PoolConfig pool = poolOf(agent);
        requireVersion(pool, ping.version());
        AgentStore.AgentRow row = agents.touch(agent.agentId(), ping, limit(ping.version()), ping.isolation())
                .orElseThrow(() -> ApiProblem.notFound(
                        ErrorCodes.UNKNOWN_AGENT, "agent " + agent.agentId() + " is not registered; register again"));
        List<String> reported = ping.currentTasks() == null ? List.of() : ping.currentTasks();
        // Before reading what runs here: a task the agent never got or gave up is recovered, not left running forever.
        leases.recoverAbandoned(agent.agentId(), reported);
        List<CancelOrder> cancel = new ArrayList<>();
        List<String> ours = jdbi.inTransaction(h -> {
            List<String> back = tasks.agentBack(h, agent.agentId(), reported);
            if (!back.isEmpty())
                log.info("agent {} is back; its applies {} are no longer waited for", agent.agentId(), back);
            cancel.addAll(tasks.cancelOrders(h, agent.agentId()));
            return tasks.runningOn(h, agent.agentId());
        });
        for (String taskId : reported) {
            if (!ours.contains(taskId)) cancel.add(new CancelOrder(taskId, true));
        }
        Tokens.Issued renewed = agent.expiresAt() == null
                        || Duration.between(clock.instant(), agent.expiresAt()).compareTo(RENEW_BELOW) < 0
                ? tokens.issueAgent(agent.agentId(), row.poolId(), AGENT_TOKEN_TTL)
                : null;
        return new PingReply(
                pool,
                cancel,
                renewed == null ? null : renewed.token(),
                renewed == null ? null : renewed.expiresAt(),
                (int) lease.toSeconds());
    }

    /**
     * An agent older than its pool's {@code min_agent_version} is refused, naming both versions: it neither registers
     * nor renews its lease by pinging, so its tasks are recovered for newer agents as a silent agent's are.
     */
    private static void requireVersion(PoolConfig pool, String version) {
        if (AgentVersion.atLeast(version, pool.minAgentVersion())) return;
        throw new ApiProblem(
                403,
                ErrorCodes.AGENT_VERSION_TOO_OLD,
                "agent version " + (version == null ? "(none)" : "'" + limit(version) + "'") + " is older than pool '"
                        + pool.poolId() + "' allows (min_agent_version " + pool.minAgentVersion()
                        + "): upgrade the agent");
    }

    /** The pool an agent belongs to now; 404 tells an agent the server has forgotten it. */
    public PoolConfig poolOf(Principal.Agent agent) {
        return pools.ofAgent(agent.agentId())
                .orElseThrow(() -> ApiProblem.notFound(
                        ErrorCodes.UNKNOWN_AGENT, "agent " + agent.agentId() + " is not registered; register again"));
    }

    /** A draining agent says goodbye: it is offline at once and anything it still held is recovered now. */
    public void deregister(Principal.Agent agent) {
        if (agents.deregister(agent.agentId())) {
            log.info("agent {} deregistered", agent.agentId());
            leases.recoverOnce();
        }
    }

    /** Offline means silent past the lease, the same rule recovery uses. */
    public AgentList list() {
        return new AgentList(agents.list(lease));
    }

    private static String limit(String s) {
        return s == null ? null : s.length() > 128 ? s.substring(0, 128) : s;
    }
}
