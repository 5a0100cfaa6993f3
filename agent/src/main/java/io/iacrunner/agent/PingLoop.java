package io.iacrunner.agent;

import io.iacrunner.agent.load.Load;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Backoff;
import io.iacrunner.agent.util.OutageLog;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PingReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat: reports what runs here, and brings back the pool's settings, a renewed token, the tasks to cancel
 * and the lease; each success renews the {@link Lease}. It runs until the very end of shutdown: a server that stops
 * hearing from an agent whose tasks still run would hand them to another agent. A failed ping is retried soon (with
 * backoff and jitter, at most one interval later): one lost ping, say on a connection a proxy cut, must not cost a
 * whole interval of the lease.
 */
final class PingLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PingLoop.class);
    private static final Duration RETRY_FIRST = Duration.ofMillis(250);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    private final AgentSession session;
    private final RunningTasks tasks;
    private final Lease lease;
    private final DiskSpace disk;
    private final AgentClock clock;
    private final String version;
    private final CountDownLatch stop;
    private final Supplier<List<String>> recovering;
    private final PlanSlots slots;
    private final OutageLog outage = new OutageLog(log, "ping");

    /**
     * @param agent the disk is looked at for each ping, which says whether it is full
     * @param recovering tasks whose leftover spool is being uploaded: still this agent's, so listed as running
     * @param slots the plan slots and the load they follow, reported on every ping
     */
    PingLoop(
            AgentState agent, String version, CountDownLatch stop, Supplier<List<String>> recovering, PlanSlots slots) {
        this.session = agent.session();
        this.tasks = agent.tasks();
        this.lease = agent.lease();
        this.disk = agent.disk();
        this.clock = agent.clock();
        this.version = version;
        this.stop = stop;
        this.recovering = recovering;
        this.slots = slots;
    }

    @Override
    public void run() {
        try {
            Backoff retry = new Backoff(RETRY_FIRST, RETRY_MAX);
            Duration wait = session.pingInterval();
            while (!clock.await(stop, wait)) {
                Duration interval = session.pingInterval();
                if (pingOnce()) {
                    retry.reset();
                    wait = interval;
                } else {
                    Duration soon = retry.next();
                    wait = soon.compareTo(interval) < 0 ? soon : interval;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return whether the server answered (a refusal that made the agent register again counts as an answer) */
    private boolean pingOnce() {
        RunningTasks.Snapshot now = tasks.snapshot();
        List<String> current = new ArrayList<>(now.taskIds());
        current.addAll(recovering.get());
        long generation = session.generation();
        Load load = slots.load();
        AgentPing ping = new AgentPing(
                session.agentId(),
                !now.taskIds().isEmpty(),
                now.plansRunning(),
                now.planLimit(),
                now.appliesRunning() > 0,
                current,
                load.cpuUsage(),
                load.memUsage(),
                version,
                session.isolation(),
                !disk.hasRoom(),
                now.planSlots(),
                slots.reason());
        PingReply reply;
        long sentAt = clock.nanoTime();
        try {
            reply = session.api().post(ApiPaths.AGENT_PING, ping, PingReply.class);
        } catch (ApiException e) {
            if (ApiFailures.agentRejected(e)) {
                log.warn("ping refused ({}); registering again", e.toString());
                session.renew(generation);
                tasks.poolChanged();
                return true;
            }
            outage.failed(e);
            return false;
        }
        outage.recovered();
        lease.renewed(sentAt, reply == null ? 0 : reply.leaseSeconds());
        if (reply == null) return true;
        session.adopt(reply, generation);
        tasks.poolChanged();
        tasks.cancel(reply.cancel());
        return true;
    }
}
