package io.iacrunner.agent;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PingReply;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat: reports what runs here, and brings back the pool's settings, a renewed token, the tasks to cancel
 * and the lease; each success renews the {@link Lease}. It runs until the very end of shutdown: a server that stops
 * hearing from an agent whose tasks still run would hand them to another agent.
 */
final class PingLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PingLoop.class);

    private final AgentSession session;
    private final RunningTasks tasks;
    private final Lease lease;
    private final String version;
    private final CountDownLatch stop;
    private final OutageLog outage = new OutageLog(log, "ping");

    PingLoop(AgentSession session, RunningTasks tasks, Lease lease, String version, CountDownLatch stop) {
        this.session = session;
        this.tasks = tasks;
        this.lease = lease;
        this.version = version;
        this.stop = stop;
    }

    @Override
    public void run() {
        try {
            while (!stop.await(session.pingInterval().toMillis(), TimeUnit.MILLISECONDS)) pingOnce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pingOnce() {
        RunningTasks.Snapshot now = tasks.snapshot();
        long generation = session.generation();
        AgentPing ping = new AgentPing(session.agentId(), !now.taskIds().isEmpty(), now.plansRunning(), now.planLimit(),
                now.appliesRunning() > 0, now.taskIds(), HostStats.cpuUsage(), HostStats.memUsage(), version);
        PingReply reply;
        long sentAt = System.nanoTime();
        try {
            reply = session.api().post(ApiPaths.AGENT_PING, ping, PingReply.class);
        } catch (ApiException e) {
            if (ApiFailures.agentRejected(e)) {
                log.warn("ping refused ({}); registering again", e.toString());
                session.renew(generation);
                tasks.poolChanged();
            } else {
                outage.failed(e);
            }
            return;
        }
        outage.recovered();
        lease.renewed(sentAt, reply == null ? 0 : reply.leaseSeconds());
        if (reply == null) return;
        session.adopt(reply, generation);
        tasks.poolChanged();
        tasks.cancel(reply.cancel());
    }
}
