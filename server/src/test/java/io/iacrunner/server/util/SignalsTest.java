package io.iacrunner.server.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SignalsTest {

    @Test
    void aServerThatRan100000ShortTasksHoldsNoEntryForAnyOfThem() throws Exception {
        Signals<String> signals = new Signals<>();
        try (ExecutorService viewers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> watched = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                String task = "t-" + i;
                signals.signal(task); // claimed: nobody watches yet
                if (i % 10 == 0) {
                    // Every tenth has a viewer, which waits for the task's end as LogViewer does.
                    CountDownLatch watching = new CountDownLatch(1);
                    watched.add(viewers.submit(() -> {
                        try (Signals<String>.Watch watch = signals.watch(task)) {
                            long seen = watch.version();
                            watching.countDown();
                            watch.awaitChange(seen, Duration.ofSeconds(30));
                        }
                        return null;
                    }));
                    watching.await();
                }
                signals.signal(task); // log lines, then the result
                signals.signal(task);
            }
            for (Future<?> f : watched) f.get();
        }
        assertThat(signals.watchedKeys()).isZero();
    }

    @Test
    void aSignalBetweenReadingTheVersionAndWaitingIsNotMissed() throws Exception {
        Signals<String> signals = new Signals<>();
        try (Signals<String>.Watch watch = signals.watch("t")) {
            long seen = watch.version();
            signals.signal("t");
            assertThat(watch.awaitChange(seen, Duration.ZERO)).isTrue();
            assertThat(signals.watchedKeys()).isOne();
        }
        assertThat(signals.watchedKeys()).isZero();
    }

    @Test
    void anEntryStaysWhileAnyWatcherHoldsIt() throws Exception {
        Signals<String> signals = new Signals<>();
        Signals<String>.Watch first = signals.watch("t");
        Signals<String>.Watch second = signals.watch("t");
        first.close();
        first.close(); // closing twice counts once
        long seen = second.version();
        signals.signal("t");
        assertThat(second.awaitChange(seen, Duration.ZERO))
                .as("the entry the second watcher holds still gets the signal")
                .isTrue();
        second.close();
        assertThat(signals.watchedKeys()).isZero();
    }

    @Test
    void aWaitWithoutASignalEndsAfterItsTime() throws Exception {
        Signals<String> signals = new Signals<>();
        try (Signals<String>.Watch watch = signals.watch("quiet")) {
            assertThat(watch.awaitChange(watch.version(), Duration.ofMillis(1))).isFalse();
        }
    }
}
