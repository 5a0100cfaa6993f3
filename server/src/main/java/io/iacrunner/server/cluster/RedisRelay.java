package io.iacrunner.server.cluster;

import io.iacrunner.server.util.Signals;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas' relay over Redis (Lettuce). A signal is published on {@code <prefix>:wake:<topic>} as
 * "{@code <replica> <key>}"; every replica subscribes to {@code <prefix>:wake:*} and wakes its own waiters for what
 * the others publish. Viewer presence lives in Redis hashes ({@link RedisPresence}), rate-limit buckets in Redis keys
 * ({@link RedisRateBuckets}).
 *
 * <p>Redis may go away at any time, and may be down when the server starts: nothing is lost, because every waiter
 * re-reads PostgreSQL. While the subscription is down the signals report {@link Signals.Fanout#degraded()}, so
 * waiters poll the store every {@link Signals#DEGRADED_POLL}; when it is back (Lettuce reconnects and subscribes
 * again) every local waiter is woken once, since signals may have been missed meanwhile.
 */
public final class RedisRelay implements Relay {
    private static final Logger log = LoggerFactory.getLogger(RedisRelay.class);
    private static final Duration CONNECT_RETRY = Duration.ofSeconds(1);

    private final RedisClient client;
    private final ClientResources resources;
    private final String where;
    private final String wakePrefix;
    private final String replicaId;
    private final Map<String, Signals<String>> topics = new ConcurrentHashMap<>();
    private final RedisPresence presence;
    private final RedisRateBuckets rateBuckets;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("redis-relay").factory());
    private final Counter published;
    private final Counter received;
    private final Counter failed;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> subscription;
    private volatile StatefulRedisConnection<String, byte[]> bucketConnection;
    private volatile boolean subscribed;
    private volatile boolean closed;

    private RedisRelay(String url, String prefix, String replicaId, MeterRegistry metrics) {
        RedisURI uri = RedisURI.create(url);
        this.where = uri.getHost() + ":" + uri.getPort(); // never the password
        this.wakePrefix = prefix + ":wake:";
        this.replicaId = replicaId;
        // Reconnect within a second or two of Redis coming back: live viewing resumes that soon.
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(
                        Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, uri);
        // While disconnected, refuse commands at once instead of queueing them: a wake-up that arrives late is useless.
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (connection == subscription && subscribed) {
                    subscribed = false;
                    if (!closed) log.warn("Redis at {} is gone: replicas poll the store until it is back", where);
                }
            }
        });
        this.presence = new RedisPresence(() -> commands, prefix, replicaId);
        this.rateBuckets = new RedisRateBuckets(() -> bucketConnection, prefix, metrics);
        this.published = Counter.builder("iac.redis.wakeups.published")
                .description("Wake-ups sent to the other replicas")
                .register(metrics);
        this.received = Counter.builder("iac.redis.wakeups.received")
                .description("Wake-ups received from the other replicas")
                .register(metrics);
        this.failed = Counter.builder("iac.redis.wakeups.failed")
                .description("Wake-ups that could not be sent (Redis down): the others poll the store meanwhile")
                .register(metrics);
        Gauge.builder("iac.redis.connected", this, r -> r.subscribed ? 1 : 0)
                .description("1 while this replica is subscribed to the other replicas' wake-ups")
                .register(metrics);
    }

    /** Connects now, or keeps trying in the background: a server starts (degraded) while Redis is down. */
    public static RedisRelay start(String url, String prefix, String replicaId, MeterRegistry metrics) {
        RedisRelay relay = new RedisRelay(url, prefix, replicaId, metrics);
        relay.connect();
        relay.timer.scheduleWithFixedDelay(
                relay.presence::refresh,
                RedisPresence.REFRESH.toMillis(),
                RedisPresence.REFRESH.toMillis(),
                TimeUnit.MILLISECONDS);
        return relay;
    }

    private void connect() {
        if (closed) return;
        StatefulRedisConnection<String, String> c = null;
        StatefulRedisPubSubConnection<String, String> s = null;
        StatefulRedisConnection<String, byte[]> b = null;
        try {
            c = client.connect();
            s = client.connectPubSub();
            b = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            s.addListener(new Listener());
            commands = c;
            subscription = s;
            bucketConnection = b;
            s.sync().psubscribe(wakePrefix + "*");
            log.info("replica {} relays wake-ups through Redis at {}", replicaId, where);
        } catch (RedisException e) {
            commands = null;
            subscription = null;
            bucketConnection = null;
            if (b != null) b.close();
            if (s != null) s.close();
            if (c != null) c.close();
            log.warn(
                    "Redis at {} unreachable ({}); replicas poll the store until it is reached", where, e.getMessage());
            if (!closed) timer.schedule(this::connect, CONNECT_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private final class Listener extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String pattern, String channel, String message) {
            int space = message.indexOf(' ');
            if (space < 0 || message.startsWith(replicaId + " ")) return; // our own: waiters here were woken directly
            Signals<String> signals = topics.get(channel.substring(wakePrefix.length()));
            if (signals == null) return;
            received.increment();
            signals.signalLocally(message.substring(space + 1));
        }

        /** Called on the first subscription and again after every reconnect. */
        @Override
        public void psubscribed(String pattern, long count) {
            boolean wasDown = !subscribed;
            subscribed = true;
            if (wasDown) {
                log.info("subscribed to the other replicas' wake-ups in Redis at {}", where);
                topics.values().forEach(Signals::signalAllLocally); // what was missed meanwhile: look again
                presence.refresh();
            }
        }
    }

    @Override
    public Signals<String> signals(String topic) {
        return topics.computeIfAbsent(
                topic,
                t -> new Signals<>(new Signals.Fanout<>() {
                    @Override
                    public void publish(String key) {
                        StatefulRedisConnection<String, String> c = commands;
                        if (c == null || !c.isOpen()) {
                            failed.increment();
                            return;
                        }
                        c.async().publish(wakePrefix + t, replicaId + " " + key).whenComplete((receivers, error) -> {
                            if (error != null) failed.increment();
                            else published.increment();
                        });
                    }

                    @Override
                    public boolean degraded() {
                        return !subscribed;
                    }
                }));
    }

    @Override
    public ViewerPresence presence() {
        return presence;
    }

    @Override
    public RateBuckets rateBuckets() {
        return rateBuckets;
    }

    @Override
    public String status() {
        return subscribed ? "up" : "down";
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        presence.withdraw();
        StatefulRedisPubSubConnection<String, String> s = subscription;
        StatefulRedisConnection<String, String> c = commands;
        StatefulRedisConnection<String, byte[]> b = bucketConnection;
        if (s != null) s.close();
        if (c != null) c.close();
        if (b != null) b.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
