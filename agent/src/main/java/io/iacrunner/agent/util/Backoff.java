package io.iacrunner.agent.util;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with equal jitter. The jitter matters: agents that lost the server together would otherwise
 * come back together and hit a restarting server in lockstep. One instance per retry loop; not thread-safe.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private int failures;

    public Backoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
    }

    /** The wait before the next try: half the current ceiling plus a random part of the other half. */
    public Duration next() {
        long ceiling = Math.min(maxMillis, initialMillis << Math.min(failures, 20));
        failures++;
        long half = ceiling / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
    }

    public void reset() {
        failures = 0;
    }
}
