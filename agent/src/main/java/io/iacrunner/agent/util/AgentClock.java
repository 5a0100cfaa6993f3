package io.iacrunner.agent.util;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;

/**
 * The agent's time: what it reads and how it waits. The agent's loops and timers (the ping and pull loops, the lease,
 * the back-off between retries, a run's max_run_time and cancel grace, the log's linger, the drain at shutdown) all
 * read and wait through one clock, so that a test can step time by hand instead of waiting for it to pass.
 *
 * <p>A wait may end early (a notify, a spurious wake-up, a clock that was stepped): callers look at their condition and
 * at the clock again. What bounds a wait on the outside world stays on real time: a download's deadline, a version
 * probe's, the few seconds a sandbox takes to start its command.
 */
public interface AgentClock {
    /** The machine's clocks: {@link System#nanoTime()}, {@link Instant#now()} and the JDK's timed waits. */
    static AgentClock system() {
        return SystemClock.INSTANCE;
    }

    /** Monotonic nanoseconds, for intervals and deadlines: as of {@link System#nanoTime()}, only differences count. */
    long nanoTime();

    /** The wall-clock time, for what is stamped or compared with the server's times: log lines, a token's expiry. */
    Instant now();

    /** Waits until {@code latch} is open or {@code timeout} has passed; returns whether the latch opened. */
    boolean await(CountDownLatch latch, Duration timeout) throws InterruptedException;

    /** Waits until {@code duration} has passed. */
    void sleep(Duration duration) throws InterruptedException;

    /** Waits on {@code monitor}, which the caller holds, until it is notified or {@code nanos} have passed. */
    void waitOn(Object monitor, long nanos) throws InterruptedException;

    /** Waits on {@code condition}, whose lock the caller holds, until it is signalled or {@code nanos} have passed. */
    void waitOn(Condition condition, long nanos) throws InterruptedException;
}
