package io.iacrunner.server.logs;

import io.iacrunner.server.cluster.ViewerPresence;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who watches which task live: counted here for this replica's viewers, and shared with the other replicas through
 * {@link ViewerPresence}. The total is what {@code stream_mode=auto} tells the agent in every ack, so it flushes
 * quickly while someone watches (on whichever replica) and batches otherwise.
 */
public final class ViewerRegistry {
    private final ConcurrentHashMap<String, AtomicInteger> viewers = new ConcurrentHashMap<>();
    private final AtomicInteger local = new AtomicInteger();
    private final ViewerPresence presence;

    public ViewerRegistry(ViewerPresence presence) {
        this.presence = presence;
    }

    /** Synchronized with {@link #left} so that counts reach the presence in the order they happened. */
    public synchronized void joined(String taskId) {
        local.incrementAndGet();
        int now = viewers.computeIfAbsent(taskId, k -> new AtomicInteger()).incrementAndGet();
        presence.publish(taskId, now);
    }

    public synchronized void left(String taskId) {
        local.decrementAndGet();
        AtomicInteger after =
                viewers.computeIfPresent(taskId, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
        presence.publish(taskId, after == null ? 0 : after.get());
    }

    /** Viewers of the task on every replica. */
    public int count(String taskId) {
        AtomicInteger count = viewers.get(taskId);
        return (count == null ? 0 : count.get()) + presence.elsewhere(taskId);
    }

    /** Viewers connected to this replica, all tasks together (a gauge). */
    public int localTotal() {
        return local.get();
    }
}
