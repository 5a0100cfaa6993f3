package io.iacrunner.server.util;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wake-ups keyed by name: "something changed for K". Waiters read {@link #version(Object)} before they look at the
 * store and then wait for a newer version, so a change between the look and the wait is never missed. The store
 * stays the only source of truth; a signal only says "look again".
 *
 * <p>With several replicas a signal also goes to the others through a {@link Fanout} (Redis), which delivers theirs
 * here with {@link #signalLocally}. While the fanout may be missing signals, waits are cut to
 * {@link #DEGRADED_POLL}: waiters then poll the store instead of trusting that they will be woken.
 *
 * <p>Locks and conditions rather than monitors: waiters are virtual threads, which must not pin their carrier.
 */
public final class Signals<K> {
    /** How often waiters look at the store while signals from other replicas may be lost. */
    public static final Duration DEGRADED_POLL = Duration.ofSeconds(1);

    /** Where a signal goes besides this replica's waiters. */
    public interface Fanout<K> {
        void publish(K key);

        /** True while signals from other replicas may be missed (the relay is down). */
        boolean degraded();
    }

    private final ConcurrentHashMap<K, Entry> entries = new ConcurrentHashMap<>();
    private final Fanout<K> fanout;

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        long version;
    }

    /** Signals for one replica alone. */
    public Signals() {
        this(null);
    }

    public Signals(Fanout<K> fanout) {
        this.fanout = fanout;
    }

    public long version(K key) {
        Entry e = entry(key);
        e.lock.lock();
        try {
            return e.version;
        } finally {
            e.lock.unlock();
        }
    }

    /** Wakes this replica's waiters on {@code key}, and the other replicas'. */
    public void signal(K key) {
        signalLocally(key);
        if (fanout != null) fanout.publish(key);
    }

    /** Wakes this replica's waiters only: for signals that came from another replica. */
    public void signalLocally(K key) {
        Entry e = entry(key);
        e.lock.lock();
        try {
            e.version++;
            e.changed.signalAll();
        } finally {
            e.lock.unlock();
        }
    }

    /** Wakes every waiter here: signals may have been lost (the relay came back), or the server is stopping. */
    public void signalAllLocally() {
        entries.keySet().forEach(this::signalLocally);
    }

    /**
     * Waits until the version moves past {@code seen} or {@code max} elapses (at most {@link #DEGRADED_POLL} while
     * the fanout is degraded); true when it moved.
     */
    public boolean awaitChange(K key, long seen, Duration max) throws InterruptedException {
        Entry e = entry(key);
        Duration wait = fanout != null && fanout.degraded() && max.compareTo(DEGRADED_POLL) > 0 ? DEGRADED_POLL : max;
        long nanos = wait.toNanos();
        e.lock.lock();
        try {
            while (e.version == seen) {
                if (nanos <= 0) return false;
                nanos = e.changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            e.lock.unlock();
        }
    }

    /** Drops a key nobody will signal again (a finished task); a late waiter simply gets a fresh entry. */
    public void forget(K key) {
        entries.remove(key);
    }

    private Entry entry(K key) {
        return entries.computeIfAbsent(key, k -> new Entry());
    }
}
