package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.RunTime;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The longest a run may take: its workspace's {@code max_run_time}, else its pool's, as the assignment carries it.
 * When it is over, {@code onExpiry} stops the run as a cancel does (SIGINT, the grace, kill), and the run is reported
 * errored, "timed out after …": no run holds its agent, or its workspace's lock, forever. Timed from the start of the
 * attempt on this agent, on the agent's clock.
 */
final class RunDeadline implements AutoCloseable {
    private final Duration limit;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean expired;

    private RunDeadline(Duration limit) {
        this.limit = limit;
    }

    /**
     * @param maxRunSeconds 0 or less: no limit
     * @param onExpiry told once when the limit is reached before {@link #close()}; called on the deadline's own thread
     */
    static RunDeadline start(long maxRunSeconds, java.util.function.Consumer<RunDeadline> onExpiry, AgentClock clock) {
        RunDeadline deadline = new RunDeadline(maxRunSeconds > 0 ? Duration.ofSeconds(maxRunSeconds) : null);
        if (deadline.limit != null) {
            Thread.ofPlatform().daemon().name("run-deadline").start(() -> {
                try {
                    if (clock.await(deadline.closed, deadline.limit)) return;
                } catch (InterruptedException e) {
                    return;
                }
                deadline.expired = true;
                onExpiry.accept(deadline);
            });
        }
        return deadline;
    }

    /** Whether the limit was reached while the run went on. */
    boolean expired() {
        return expired;
    }

    /** "timed out after 30m", the words a timed-out run's result begins with. */
    String timedOut() {
        return "timed out after " + (limit == null ? "no limit" : RunTime.format(limit));
    }

    /** The stop's reason, as the log and a canceled step's message say it. */
    String reason() {
        return "the run's max_run_time (" + (limit == null ? "none" : RunTime.format(limit)) + ") is over";
    }

    /** The run is over: the deadline no longer applies. */
    @Override
    public void close() {
        closed.countDown();
    }
}
