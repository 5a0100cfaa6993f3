package io.iacrunner.server.cluster;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate-limit buckets in Redis (Bucket4j's compare-and-swap over Lettuce), shared by every replica: behind a load
 * balancer a client gets the limit once, not once per replica. A bucket's key expires once it would be full again.
 *
 * <p>While Redis cannot be reached the limit falls back to this replica's own buckets ({@link RateBuckets#local()}):
 * a limit per replica for a while is better than refusing every registration, or none.
 */
final class RedisRateBuckets implements RateBuckets {
    private static final Logger log = LoggerFactory.getLogger(RedisRateBuckets.class);

    /** Bucket4j's view of one Redis connection. */
    private record Shared(StatefulRedisConnection<String, byte[]> connection, ProxyManager<String> buckets) {}

    private final Supplier<StatefulRedisConnection<String, byte[]>> connection;
    private final String keyPrefix;
    private final RateBuckets fallback = RateBuckets.local();
    private final AtomicBoolean fallingBack = new AtomicBoolean();
    private final Counter fallbacks;
    private volatile Shared shared;

    /** @param connection the relay's connection for buckets, null while there is none */
    RedisRateBuckets(
            Supplier<StatefulRedisConnection<String, byte[]>> connection, String prefix, MeterRegistry metrics) {
        this.connection = connection;
        this.keyPrefix = prefix + ":rate:";
        this.fallbacks = Counter.builder("iac.redis.rate.limit.fallbacks")
                .description("Rate-limit checks made with this replica's own buckets because Redis was unreachable")
                .register(metrics);
    }

    @Override
    public ConsumptionProbe tryConsume(String key, long perMinute, long burst) {
        try {
            ConsumptionProbe probe = buckets()
                    .builder()
                    .build(keyPrefix + key, () -> RateBuckets.configuration(perMinute, burst))
                    .tryConsumeAndReturnRemaining(1);
            if (fallingBack.compareAndSet(true, false)) log.info("rate limits are shared through Redis again");
            return probe;
        } catch (RuntimeException e) { // Redis down, refusing or timing out: whatever the wrapping, count here
            if (fallingBack.compareAndSet(false, true))
                log.warn("Redis unreachable ({}): rate limits count per replica until it is back", e.getMessage());
            fallbacks.increment();
            return fallback.tryConsume(key, perMinute, burst);
        }
    }

    private ProxyManager<String> buckets() {
        StatefulRedisConnection<String, byte[]> current = connection.get();
        if (current == null) throw new IllegalStateException("no connection to Redis yet");
        Shared known = shared;
        if (known == null || known.connection() != current) {
            known = new Shared(
                    current,
                    Bucket4jLettuce.casBasedBuilder(current)
                            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                                    Duration.ofSeconds(10)))
                            .build());
            shared = known;
        }
        return known.buckets();
    }
}
