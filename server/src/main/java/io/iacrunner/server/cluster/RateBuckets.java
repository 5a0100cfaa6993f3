package io.iacrunner.server.cluster;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets by key, for rate limits. One replica keeps them in memory ({@link #local()}); replicas sharing Redis
 * keep them there ({@link RedisRateBuckets}), so a limit holds for the whole service rather than once per replica.
 */
public interface RateBuckets {
    /** Takes one token from the bucket of {@code key}, which holds {@code burst} and refills {@code perMinute}. */
    ConsumptionProbe tryConsume(String key, long perMinute, long burst);

    static Bandwidth bandwidth(long perMinute, long burst) {
        return Bandwidth.builder()
                .capacity(burst)
                .refillGreedy(perMinute, Duration.ofMinutes(1))
                .build();
    }

    static BucketConfiguration configuration(long perMinute, long burst) {
        return BucketConfiguration.builder()
                .addLimit(bandwidth(perMinute, burst))
                .build();
    }

    /** Buckets in this replica's memory. */
    static RateBuckets local() {
        return new RateBuckets() {
            private static final int MAX_TRACKED_KEYS = 10_000;
            private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

            @Override
            public ConsumptionProbe tryConsume(String key, long perMinute, long burst) {
                if (buckets.size() > MAX_TRACKED_KEYS) buckets.clear(); // forgetting grants a fresh burst: harmless
                return buckets.computeIfAbsent(
                                key,
                                k -> Bucket.builder()
                                        .addLimit(bandwidth(perMinute, burst))
                                        .build())
                        .tryConsumeAndReturnRemaining(1);
            }
        };
    }
}
