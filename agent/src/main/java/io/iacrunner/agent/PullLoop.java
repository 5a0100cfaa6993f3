package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Backoff;
import io.iacrunner.agent.util.OutageLog;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAssignment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the server for work whenever there is capacity for it, the agent holds its {@link Lease} and its disk has room
 * ({@link DiskSpace}), and starts each task it gets on its own thread; cancel orders in the reply go the same way as a
 * ping's. With no capacity it waits for a task to finish instead of asking; the server's long poll makes an idle agent
 * cheap. With a full disk it asks for nothing: a run there would fail at once, while other agents could do it. What it
 * asks for is limited by its {@link Intake} (the actions it accepts; one task in all for a single-run agent, after
 * which the loop ends).
 */
final class PullLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PullLoop.class);
    /** The long poll's reply may take the whole wait; this much more is allowed for the network and the claim. */
    private static final int REPLY_SLACK_SECONDS = 15;
    /** How often a full disk is looked at again. */
    static final Duration DISK_RECHECK = Duration.ofSeconds(5);

    private final AgentSession session;
    private final RunningTasks tasks;
    private final Lease lease;
    private final DiskSpace disk;
    private final AgentClock clock;
    private final TaskRunners runners;
    private final int waitSeconds;
    private final CountDownLatch stop;
    private final Intake intake;
    private final OutageLog outage = new OutageLog(log, "task pull");

    /** @param pullWait how long each pull may wait on the server for work (the long poll) */
    PullLoop(AgentState agent, TaskRunners runners, Duration pullWait, CountDownLatch stop, Intake intake) {
        this.session = agent.session();
        this.tasks = agent.tasks();
        this.lease = agent.lease();
        this.disk = agent.disk();
        this.clock = agent.clock();
        this.runners = runners;
        this.waitSeconds = (int) Math.max(0, pullWait.toSeconds());
        this.stop = stop;
        this.intake = intake;
    }

    @Override
    public void run() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));
        try {
            while (stop.getCount() > 0 && !intake.exhausted()) {
                Capacity free = tasks.awaitCapacity(intake::limit);
                if (!lease.held()) {
                    lease.awaitHeld(); // the server may have given our tasks away: no new work until a ping gets
                    // through
                    continue;
                }
                if (!disk.hasRoom()) {
                    if (clock.await(stop, DISK_RECHECK)) return;
                    continue;
                }
                disk.ensureReserve();
                long generation = session.generation();
                PullResponse reply;
                try {
                    reply = session.api()
                            .post(
                                    ApiPaths.TASK_PULL,
                                    new PullRequest(
                                            session.agentId(),
                                            free.freePlanSlots(),
                                            free.canTakeApply(),
                                            waitSeconds,
                                            intake.acceptInPull()),
                                    PullResponse.class,
                                    Duration.ofSeconds(waitSeconds + REPLY_SLACK_SECONDS));
                } catch (ApiException e) {
                    if (stop.getCount() == 0) return;
                    if (ApiFailures.agentRejected(e)) {
                        log.warn("pull refused ({}); registering again", e.toString());
                        session.renew(generation);
                        tasks.poolChanged();
                    } else {
                        outage.failed(e);
                    }
                    if (clock.await(stop, backoff.next())) return;
                    continue;
                }
                outage.recovered();
                backoff.reset();
                if (reply == null) continue;
                if (reply.tasks() != null) {
                    for (TaskAssignment task : reply.tasks()) launch(task);
                }
                tasks.cancel(reply.cancel()); // after launching: an order may name a task this very reply assigned
            }
        } catch (InterruptedException e) {
            // close() interrupts the loop, possibly in the middle of a long poll.
        }
    }

    private void launch(TaskAssignment task) throws InterruptedException {
        if (!intake.accepts(task.action()) || intake.exhausted()) {
            // A server that ignored the pull's accept list, or more than one task for a single-run agent.
            refuse(
                    task,
                    "this agent does not take " + task.action().wireName() + " tasks"
                            + (intake.exhausted() ? " (it runs one task, and has one)" : " (--accept)"));
            return;
        }
        TaskRunner runner = runners.runner(task);
        if (!tasks.admit(runner)) {
            refuse(
                    task,
                    "the server assigned more work than the agent asked for; this "
                            + task.action().wireName() + " task did not fit beside the tasks already running");
            return;
        }
        intake.took(1);
        // A platform thread that lives as long as the run: its sandboxes die with the thread that started them.
        Thread.ofPlatform()
                .name("task-" + task.taskId() + "-a" + task.attempt())
                .start(() -> {
                    try {
                        runner.run();
                    } finally {
                        tasks.finished(runner);
                    }
                });
    }

    /**
     * A claimed task we will not run is handed back at once, unbegun: the server queues it again for any agent (it
     * does not count against its attempts), rather than leave it running until a timeout or fail a task that never
     * ran.
     */
    private void refuse(TaskAssignment task, String reason) throws InterruptedException {
        log.warn("task {} attempt {}: not run, handed back: {}", task.taskId(), task.attempt(), reason);
        try {
            new TaskReporter(
                            JobCredentials.forClaim(session, task, clock),
                            task.taskId(),
                            task.attempt(),
                            new CountDownLatch(1),
                            clock)
                    .handBack(reason);
        } catch (StaleAttemptException | ApiException e) {
            log.warn(
                    "task {} attempt {}: the server did not take it back: {}",
                    task.taskId(),
                    task.attempt(),
                    e.getMessage());
        }
    }
}
