package io.iacrunner.server.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock a test steps by hand (db-scheduler's SettableClock): the machine's time plus whatever the test has added.
 * Real time still flows, so a server on it behaves as usual until the test jumps ahead, a lease at a time.
 */
public final class SteppedClock extends Clock {
    private final AtomicReference<Duration> ahead = new AtomicReference<>(Duration.ZERO);

    /** Moves the clock forward by {@code step}, as if that much time had passed at once. */
    public void advance(Duration step) {
        ahead.accumulateAndGet(step, Duration::plus);
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(ahead.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a stepped clock runs in UTC");
    }
}
