package io.iacrunner.server.logs;

import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.util.StoreClock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the stored logs of tasks that finished longer ago than the retention (by the {@link StoreClock}). Tasks, states and
 * their completion proof stay; only the lines go. Safe on every replica: a delete of rows already gone deletes none.
 */
public final class LogRetention implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogRetention.class);

    private final Jdbi jdbi;
    private final Duration retention;
    private final StoreClock clock;
    private final StoreAvailability store;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("log-retention").factory());

    public LogRetention(Jdbi jdbi, Duration retention, StoreClock clock, StoreAvailability store) {
        this.store = store;
        this.jdbi = jdbi;
        this.retention = retention;
        this.clock = clock;
    }

    public LogRetention start(Duration every) {
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        purgeOnce();
                    } catch (RuntimeException e) {
                        if (!store.failed(e)) log.error("log retention failed; retrying at the next tick", e);
                    }
                },
                0,
                every.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Returns how many chunks were deleted. */
    public int purgeOnce() {
        int deleted = jdbi.withHandle(h -> clock.at(h.createUpdate("""
                        delete from log_chunks c using tasks t
                        where c.task_id = t.task_id and t.finished_at < <now> - make_interval(secs => :keep)"""))
                .bind("keep", retention.toMillis() / 1000.0)
                .execute());
        if (deleted > 0) log.info("log retention ({}) deleted {} chunks", retention, deleted);
        return deleted;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
