package io.iacrunner.server.cluster;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Viewer presence in Redis: per task a hash {@code <prefix>:viewers:<task>} with one field per replica holding
 * "{@code <count> <expires-at-ms>}". A replica rewrites its fields every {@link #REFRESH}, so the field of a replica
 * that died stops counting after {@link #TTL} even while other replicas keep the hash alive. Presence only tunes
 * how fast agents flush ({@code stream_mode=auto}): when Redis is down a replica counts its own viewers only.
 */
final class RedisPresence implements ViewerPresence {
    static final Duration TTL = Duration.ofSeconds(30);
    static final Duration REFRESH = Duration.ofSeconds(10);
    /** Appends ask many times a second; the answer may be this old. */
    private static final Duration CACHE = Duration.ofSeconds(1);

    private static final Duration READ_TIMEOUT = Duration.ofMillis(250);

    private record Cached(int count, long until) {}

    private final Supplier<StatefulRedisConnection<String, String>> connection;
    private final String keyPrefix;
    private final String replicaId;
    private final Map<String, Integer> mine = new ConcurrentHashMap<>();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** @param connection the relay's command connection, null while there is none */
    RedisPresence(Supplier<StatefulRedisConnection<String, String>> connection, String prefix, String replicaId) {
        this.connection = connection;
        this.keyPrefix = prefix + ":viewers:";
        this.replicaId = replicaId;
    }

    @Override
    public void publish(String taskId, int localCount) {
        if (localCount > 0) mine.put(taskId, localCount);
        else mine.remove(taskId);
        write(taskId, localCount);
    }

    @Override
    public int elsewhere(String taskId) {
        long now = System.nanoTime();
        Cached cached = cache.get(taskId);
        if (cached != null && now - cached.until() < 0) return cached.count();
        int count = read(taskId);
        cache.put(taskId, new Cached(count, now + CACHE.toNanos()));
        return count;
    }

    /** Rewrites this replica's fields with a new expiry (and forgets old cached counts). */
    void refresh() {
        long now = System.nanoTime();
        cache.values().removeIf(c -> now - c.until() >= 0);
        mine.forEach(this::write);
    }

    /** A replica that stops cleanly takes its viewers with it at once. */
    void withdraw() {
        mine.keySet().forEach(taskId -> write(taskId, 0));
        mine.clear();
    }

    private void write(String taskId, int count) {
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) return; // refreshed once Redis is back
        String key = keyPrefix + taskId;
        if (count > 0) {
            c.async().hset(key, replicaId, count + " " + (System.currentTimeMillis() + TTL.toMillis()));
            c.async().pexpire(key, TTL.toMillis());
        } else {
            c.async().hdel(key, replicaId);
        }
    }

    private int read(String taskId) {
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) return 0;
        Map<String, String> fields;
        try {
            fields = c.async().hgetall(keyPrefix + taskId).get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (Exception unavailable) {
            return 0; // presence is an optimisation: without it the agent merely batches more
        }
        long now = System.currentTimeMillis();
        int sum = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            if (field.getKey().equals(replicaId)) continue;
            String[] parts = field.getValue().split(" ");
            try {
                if (parts.length == 2 && Long.parseLong(parts[1]) > now) sum += Integer.parseInt(parts[0]);
            } catch (NumberFormatException ignored) {
                // Not ours to judge: a field some other version wrote; leave it out.
            }
        }
        return sum;
    }
}
