package io.iacrunner.server.util;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wake-ups keyed by name: "something changed for K". A waiter opens a {@link Watch} on its key, reads its
 * {@link Watch#version()} before it looks at the store and then waits for a newer version, so a change between the
 * look and the wait is never missed. The store stays the only source of truth; a signal only says "look again".
 *
 * <p>An entry exists only while someone watches its key: a signal for a key nobody watches has nobody to wake and
 * leaves nothing behind, and the last watch to close removes the entry. A long-lived server therefore holds no entry
 * per task it ever ran, only per task someone is waiting on now.
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

    /**
     * Hears every signal, watched key or not: for waiters that need to know what a signal was about, not only that
     * one came (pulls are woken one by one, {@code tasks.PullWakes}).
     */
    public interface Listener<K> {
        void signaled(K key);

        /** Every waiter must look again: signals may have been lost, or the server is stopping. */
        void all();
    }

    private final ConcurrentHashMap<K, Entry> entries = new ConcurrentHashMap<>();
    private final Fanout<K> fanout;
    private final List<Listener<K>> listeners = new CopyOnWriteArrayList<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        long version;
        /** Open watches; changed only inside the map's atomic compute for this key. */
        int watchers;
    }

    /** One waiter's hold on a key: keeps its entry alive until closed. Not shared between threads. */
    public final class Watch implements AutoCloseable {
        private final K key;
        private final Entry entry;
        private boolean closed;

        private Watch(K key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        public long version() {
            entry.lock.lock();
            try {
                return entry.version;
            } finally {
                entry.lock.unlock();
            }
        }

        /**
         * Waits until the version moves past {@code seen} or {@code max} elapses (at most {@link #DEGRADED_POLL}
         * while the fanout is degraded); true when it moved.
         */
        public boolean awaitChange(long seen, Duration max) throws InterruptedException {
            long nanos = cappedWait(max).toNanos();
            entry.lock.lock();
            try {
                while (entry.version == seen) {
                    if (nanos <= 0) return false;
                    nanos = entry.changed.awaitNanos(nanos);
                }
                return true;
            } finally {
                entry.lock.unlock();
            }
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            entries.computeIfPresent(key, (k, e) -> --e.watchers == 0 ? null : e);
        }
    }

    /** Signals for one replica alone. */
    public Signals() {
        this(null);
    }

    public Signals(Fanout<K> fanout) {
        this.fanout = fanout;
    }

    /** Starts watching {@code key}: close the watch when done waiting (try-with-resources). */
    public Watch watch(K key) {
        Entry e = entries.compute(key, (k, existing) -> {
            Entry entry = existing == null ? new Entry() : existing;
            entry.watchers++;
            return entry;
        });
        return new Watch(key, e);
    }

    /** From now on {@code listener} hears every signal given or received here. */
    public void listen(Listener<K> listener) {
        listeners.add(listener);
    }

    /** True while signals from other replicas may be missed: waiters should then poll the store. */
    private boolean degraded() {
        return fanout != null && fanout.degraded();
    }

    /** Keys watched now: what the memory of this class holds. */
    public int watchedKeys() {
        return entries.size();
    }

    /** Wakes this replica's waiters on {@code key}, and the other replicas'. */
    public void signal(K key) {
        signalLocally(key);
        if (fanout != null) fanout.publish(key);
    }

    /** Wakes this replica's waiters only: for signals that came from another replica. */
    public void signalLocally(K key) {
        listeners.forEach(l -> l.signaled(key));
        Entry e = entries.get(key);
        if (e == null) return; // nobody waits on it: nobody to wake, and nothing to keep
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
        listeners.forEach(Listener::all);
        entries.keySet().forEach(this::signalLocally);
    }

    /** {@code max}, or {@link #DEGRADED_POLL} when that is shorter and signals may be missed. */
    public Duration cappedWait(Duration max) {
        return degraded() && max.compareTo(DEGRADED_POLL) > 0 ? DEGRADED_POLL : max;
    }
}
