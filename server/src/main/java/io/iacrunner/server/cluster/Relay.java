package io.iacrunner.server.cluster;

import io.iacrunner.server.util.Signals;

/**
 * How replicas reach each other: wake-ups ({@link Signals} whose signals every replica sees), viewer presence and
 * rate-limit buckets.
 * One replica needs nothing ({@link #single()}); several share Redis ({@link RedisRelay}). Nothing that must not be
 * lost goes through a relay: PostgreSQL holds every task, line and order, and a relay only says "look again".
 */
public interface Relay extends AutoCloseable {
    /** Signals for {@code topic} (one instance per topic): a signal here wakes waiters on every replica. */
    Signals<String> signals(String topic);

    ViewerPresence presence();

    /** Buckets for rate limits: every replica's requests count against the same buckets. */
    RateBuckets rateBuckets();

    /** {@code single}, {@code up} or {@code down}: for readiness details and logs. */
    String status();

    @Override
    void close();

    /** One replica: in-process wake-ups, and the viewers here are all the viewers there are. */
    static Relay single() {
        RateBuckets buckets = RateBuckets.local();
        return new Relay() {
            @Override
            public Signals<String> signals(String topic) {
                return new Signals<>();
            }

            @Override
            public ViewerPresence presence() {
                return ViewerPresence.NONE;
            }

            @Override
            public RateBuckets rateBuckets() {
                return buckets;
            }

            @Override
            public String status() {
                return "single";
            }

            @Override
            public void close() {}
        };
    }
}
