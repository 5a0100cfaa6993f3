package io.iacrunner.server.util;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-process wake-ups keyed by name: "something changed for K". Waiters read {@link #version(Object)} before they
 * look at the store and then wait for a newer version, so a change between the look and the wait is never missed.
 * The store stays the only source of truth; a signal only says "look again".
 *
 * <p>Locks and conditions rather than monitors: waiters are virtual threads, which must not pin their carrier.
 */
public final class Signals<K> {
    private final ConcurrentHashMap<K, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        long version;
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

    public void signal(K key) {
        Entry e = entry(key);
        e.lock.lock();
        try {
            e.version++;
            e.changed.signalAll();
        } finally {
            e.lock.unlock();
        }
    }

    /** Waits until the version moves past {@code seen} or {@code max} elapses; true when it moved. */
    public boolean awaitChange(K key, long seen, Duration max) throws InterruptedException {
        Entry e = entry(key);
        long nanos = max.toNanos();
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
