package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ShutdownTest {
    @Test
    void aStepThatFinishesIsWaitedFor() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThat(Shutdown.bounded("quick", Duration.ofSeconds(5), () -> ran.set(true)))
                .isTrue();
        assertThat(ran).isTrue();
    }

    @Test
    void aStepThatHangsIsAbandonedAfterItsLimit() {
        CountDownLatch never = new CountDownLatch(1);
        long started = System.nanoTime();
        boolean finished = Shutdown.bounded("stuck", Duration.ofMillis(200), () -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(finished).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aStepThatThrowsDoesNotStopTheShutdown() {
        assertThat(Shutdown.bounded("broken", Duration.ofSeconds(5), () -> {
                    throw new IllegalStateException("boom");
                }))
                .isTrue();
    }
}
