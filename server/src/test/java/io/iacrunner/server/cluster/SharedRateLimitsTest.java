package io.iacrunner.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.ExternalServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * Two relays on one Redis are two replicas: a rate limit counts their requests together, so behind a load balancer a
 * client gets the limit once, not once per replica. Without Redis a replica still limits on its own.
 */
class SharedRateLimitsTest {
    @Test
    void twoReplicasDrawFromOneBucket() {
        String redis = ExternalServices.redis();
        String prefix = ExternalServices.redisPrefix();
        try (RedisRelay a = RedisRelay.start(redis, prefix, "replica-a", new SimpleMeterRegistry());
                RedisRelay b = RedisRelay.start(redis, prefix, "replica-b", new SimpleMeterRegistry())) {
            assertThat(a.rateBuckets().tryConsume("registrations:pool-1", 1, 3).isConsumed())
                    .isTrue();
            assertThat(b.rateBuckets().tryConsume("registrations:pool-1", 1, 3).isConsumed())
                    .isTrue();
            assertThat(a.rateBuckets().tryConsume("registrations:pool-1", 1, 3).isConsumed())
                    .isTrue();
            assertThat(b.rateBuckets().tryConsume("registrations:pool-1", 1, 3).isConsumed())
                    .as("the burst of 3 is spent across both replicas")
                    .isFalse();
            assertThat(a.rateBuckets().tryConsume("registrations:pool-1", 1, 3).getNanosToWaitForRefill())
                    .isPositive();
            assertThat(b.rateBuckets().tryConsume("registrations:pool-2", 1, 3).isConsumed())
                    .as("another key has its own bucket")
                    .isTrue();
        }
    }

    @Test
    void withoutRedisEachReplicaLimitsOnItsOwn() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (RedisRelay relay = RedisRelay.start("redis://127.0.0.1:" + closed, "iac-test", "lonely", metrics)) {
            for (int i = 0; i < 3; i++) {
                assertThat(relay.rateBuckets().tryConsume("k", 1, 3).isConsumed())
                        .isTrue();
            }
            assertThat(relay.rateBuckets().tryConsume("k", 1, 3).isConsumed()).isFalse();
            assertThat(metrics.counter("iac.redis.rate.limit.fallbacks").count())
                    .isEqualTo(4);
        }
    }

    @Test
    void oneReplicaAloneKeepsItsBucketsInMemory() {
        RateBuckets buckets = Relay.single().rateBuckets();
        assertThat(buckets.tryConsume("k", 1, 1).isConsumed()).isTrue();
        assertThat(buckets.tryConsume("k", 1, 1).isConsumed()).isFalse();
        assertThat(buckets.tryConsume("other", 1, 1).isConsumed()).isTrue();
    }
}
