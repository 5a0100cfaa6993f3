package io.iacrunner.agent.testing;

import io.iacrunner.agent.util.AgentClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;

/**
 * A clock that stands still until a test moves it ({@link #advance}), as db-scheduler's {@code SettableClock}: the
 * agent's loops and timers wait on it, and each wait ends once the clock has been moved past its time, or once what
 * it waits for has happened. A test sees who waits ({@link #waitingFor}) and so knows when a loop has reached its wait.
 *
 * <p>A waiter cannot be told when a latch opens or a monitor is notified by someone else, so each looks again every
 * {@value #LOOK_AGAIN_MILLIS} ms of real time; that bounds how late it reacts, never what it sees.
 */
public final class ManualClock implements AgentClock {
    private static final long LOOK_AGAIN_MILLIS = 5;
    /** Where {@link #nanoTime()} starts: anywhere, as {@link System#nanoTime()}'s origin is; not 0, which reads as unset. */
    private static final long ORIGIN = TimeUnit.DAYS.toNanos(1);

    private final Instant start = Instant.now();
    private final AtomicLong nanos = new AtomicLong(ORIGIN);
    /** The threads waiting on this clock, each with how long it asked to wait. */
    private final Map<Thread, Long> waiting = new ConcurrentHashMap<>();

    /** Moves the clock on: every wait whose time has come ends. */
    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    /** How many threads wait on this clock now. */
    public int waiting() {
        return waiting.size();
    }

    /** Whether a thread waits on this clock for exactly {@code duration}: the time left of its wait when it last looked. */
    public boolean waitingFor(Duration duration) {
        return waiting.containsValue(duration.toNanos());
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    /** The wall-clock time the clock was made at, moved on as far as the clock was. */
    @Override
    public Instant now() {
        return start.plusNanos(nanos.get() - ORIGIN);
    }

    @Override
    public boolean await(CountDownLatch latch, Duration timeout) throws InterruptedException {
        long deadline = nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - nanoTime();
                if (left <= 0) return latch.getCount() == 0;
                waiting.put(Thread.currentThread(), left);
                if (latch.await(LOOK_AGAIN_MILLIS, TimeUnit.MILLISECONDS)) return true;
            }
        } finally {
            waiting.remove(Thread.currentThread());
        }
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
        await(new CountDownLatch(1), duration);
    }

    @Override
    @SuppressWarnings("WaitNotInLoop") // the caller loops: a wait on an AgentClock may end early
    public void waitOn(Object monitor, long nanos) throws InterruptedException {
        waiting.put(Thread.currentThread(), nanos);
        try {
            monitor.wait(LOOK_AGAIN_MILLIS);
        } finally {
            waiting.remove(Thread.currentThread());
        }
    }

    @Override
    @SuppressWarnings("WaitNotInLoop") // the caller loops: a wait on an AgentClock may end early
    public void waitOn(Condition condition, long nanos) throws InterruptedException {
        waiting.put(Thread.currentThread(), nanos);
        try {
            condition.await(LOOK_AGAIN_MILLIS, TimeUnit.MILLISECONDS);
        } finally {
            waiting.remove(Thread.currentThread());
        }
    }
}
