package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's hold on its tasks, as the server keeps it: renewed by every successful ping, lost when none has
 * succeeded for the lease time ({@code lease_seconds} from registration and ping replies). By then the server has
 * given the agent's tasks away, or soon will, so on expiry the agent must stop them itself; it pulls new work only
 * once a ping has succeeded again.
 *
 * <p>Timed on the agent's monotonic clock from when each successful ping was <em>sent</em>: the server saw it no
 * earlier, so the agent's lease never outlives the server's. A watcher thread of its own notices the expiry, so a
 * ping hanging on a dead connection cannot delay it. A lease of 0 seconds (a server that grants none) never expires.
 */
final class Lease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lease.class);

    private final Consumer<Duration> onExpiry;
    private final AgentClock clock;
    private final Object lock = new Object();
    private long renewedAt;
    private long lengthNanos;
    private boolean expired;
    private boolean closed;
    private Thread watcher;

    /**
     * @param grantedAt {@code clock}'s {@link AgentClock#nanoTime()} when the registration that granted it was sent
     * @param onExpiry told, on the watcher thread, how long the agent has gone without a successful ping
     */
    Lease(int leaseSeconds, long grantedAt, Consumer<Duration> onExpiry, AgentClock clock) {
        this.lengthNanos = TimeUnit.SECONDS.toNanos(Math.max(0, leaseSeconds));
        this.renewedAt = grantedAt;
        this.onExpiry = onExpiry;
        this.clock = clock;
    }

    void start() {
        watcher = Thread.ofPlatform().daemon().name("agent-lease").start(this::watch);
    }

    /**
     * A ping sent at {@code sentAt} (the clock's {@link AgentClock#nanoTime()}) succeeded; its reply's
     * {@code lease_seconds} replaces the lease time unless it is 0 (not stated).
     */
    void renewed(long sentAt, int leaseSeconds) {
        boolean regained;
        synchronized (lock) {
            if (sentAt - renewedAt > 0) renewedAt = sentAt;
            if (leaseSeconds > 0) lengthNanos = TimeUnit.SECONDS.toNanos(leaseSeconds);
            // A ping that took longer than the lease to succeed proves nothing about now: the lease stays lost.
            boolean current = lengthNanos == 0 || renewedAt + lengthNanos - clock.nanoTime() > 0;
            regained = expired && current;
            if (current) expired = false;
            lock.notifyAll();
        }
        if (regained) log.info("a ping succeeded again: the agent holds its lease again and pulls work");
    }

    /** False from an expiry until the next successful ping. */
    boolean held() {
        synchronized (lock) {
            return !expired;
        }
    }

    /** Blocks while the lease is lost. */
    void awaitHeld() throws InterruptedException {
        synchronized (lock) {
            while (expired && !closed) lock.wait();
        }
    }

    private void watch() {
        while (true) {
            Duration silent;
            synchronized (lock) {
                if (closed) return;
                if (expired || lengthNanos == 0) {
                    waitQuietly(0);
                    continue;
                }
                long left = renewedAt + lengthNanos - clock.nanoTime();
                if (left > 0) {
                    waitQuietly(left);
                    continue;
                }
                expired = true;
                silent = Duration.ofNanos(clock.nanoTime() - renewedAt);
            }
            try {
                onExpiry.accept(silent);
            } catch (RuntimeException e) {
                log.error("handling the lost lease failed", e);
            }
        }
    }

    /** Waits on the lock for up to {@code nanos} of the clock (0: until notified); an interrupt ends the watcher via close(). */
    private void waitQuietly(long nanos) {
        try {
            if (nanos == 0) lock.wait();
            else clock.waitOn(lock, nanos);
        } catch (InterruptedException e) {
            closed = true;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        if (watcher != null) {
            try {
                watcher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
