package io.iacrunner.server.logs;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who watches which task live, on this replica: what {@code stream_mode=auto} tells the agent in every ack, so it
 * flushes quickly while someone watches and batches otherwise.
 */
public final class ViewerRegistry {
    private final ConcurrentHashMap<String, AtomicInteger> viewers = new ConcurrentHashMap<>();

    public void joined(String taskId) {
        viewers.computeIfAbsent(taskId, k -> new AtomicInteger()).incrementAndGet();
    }

    public void left(String taskId) {
        viewers.computeIfPresent(taskId, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    public int count(String taskId) {
        AtomicInteger count = viewers.get(taskId);
        return count == null ? 0 : count.get();
    }
}
