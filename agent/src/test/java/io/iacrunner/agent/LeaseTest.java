package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lease on a clock the test steps: no test here waits for a real lease to run out. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LeaseTest {
    private final ManualClock clock = new ManualClock();
    private final List<Duration> expiries = new CopyOnWriteArrayList<>();

    @Test
    void isLostOnlyWhenNoPingHasSucceededForItsLengthAndHeldAgainAfterTheNextOne() {
        try (Lease lease = new Lease(10, clock.nanoTime(), expiries::add, clock)) {
            lease.start();
            clock.advance(Duration.ofSeconds(9));
            await().until(() -> clock.waitingFor(Duration.ofSeconds(1))); // the watcher has looked: a second left
            assertThat(lease.held()).isTrue();

            lease.renewed(clock.nanoTime(), 0); // a ping sent now succeeded
            clock.advance(Duration.ofSeconds(9));
            await().until(() -> clock.waitingFor(Duration.ofSeconds(1)));
            assertThat(lease.held()).as("counted from the last successful ping").isTrue();

            clock.advance(Duration.ofSeconds(1));
            await().until(() -> !lease.held());
            assertThat(expiries)
                    .as("told once, with how long no ping got through")
                    .containsExactly(Duration.ofSeconds(10));

            lease.renewed(clock.nanoTime(), 0);
            assertThat(lease.held()).isTrue();
        }
    }

    @Test
    void aPingThatTookLongerThanTheLeaseDoesNotBringItBack() {
        try (Lease lease = new Lease(10, clock.nanoTime(), expiries::add, clock)) {
            lease.start();
            long sentAt = clock.nanoTime();
            clock.advance(Duration.ofSeconds(10));
            await().until(() -> !lease.held());

            lease.renewed(sentAt, 0); // its reply came only now: the server may have given the agent's tasks away

            assertThat(lease.held()).isFalse();
        }
    }

    @Test
    void aPingReplyCanChangeTheLeasesLength() {
        try (Lease lease = new Lease(10, clock.nanoTime(), expiries::add, clock)) {
            lease.start();
            lease.renewed(clock.nanoTime(), 30);
            clock.advance(Duration.ofSeconds(29));
            await().until(() -> clock.waitingFor(Duration.ofSeconds(1)));
            assertThat(lease.held()).isTrue();

            clock.advance(Duration.ofSeconds(1));
            await().until(() -> !lease.held());
        }
    }
}
