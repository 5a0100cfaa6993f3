package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.ExternalServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool whose every connection is in use is a busy store, not a lost one: a statement waits past the pool's short
 * connection wait for a connection to come back, instead of failing with {@code 503 store_unavailable} (seen under
 * load: 50 agents on a pool of 20, the store healthy).
 */
class BusyPoolTest {
    @TempDir
    Path dir;

    @Test
    void aStatementWaitsForABusyPoolLongerThanTheConnectionWaitAndTheStoreStaysAvailable() throws Exception {
        try (ExternalServices.FreshDatabase fresh = ExternalServices.postgres();
                Database db = Database.open(
                        fresh.configure(ServerConfig.builder().dataDir(dir))
                                .databasePoolSize(2)
                                .build(),
                        new SimpleMeterRegistry());
                ExecutorService holders = Executors.newFixedThreadPool(2)) {
            // Both connections busy for twice the connection wait.
            long holdMillis = Database.CONNECTION_WAIT.multipliedBy(2).toMillis();
            CountDownLatch holding = new CountDownLatch(2);
            Future<?> first = holders.submit(() -> hold(db, holding, holdMillis));
            Future<?> second = holders.submit(() -> hold(db, holding, holdMillis));
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();

            int answer = db.jdbi()
                    .withHandle(
                            h -> h.createQuery("select 42").mapTo(Integer.class).one());

            assertThat(answer).isEqualTo(42);
            assertThat(db.availability().state()).isEqualTo(StoreAvailability.State.AVAILABLE);
            first.get();
            second.get();
        }
    }

    private static void hold(Database db, CountDownLatch holding, long millis) {
        db.jdbi().useHandle(h -> {
            holding.countDown();
            h.execute("select pg_sleep(" + millis / 1000.0 + ")");
        });
    }
}
