package io.iacrunner.server.tasks;

import io.iacrunner.server.store.StoreAvailability;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes stored plans nobody can apply any more ({@link PlanStore#purge}): hourly, on every replica (a delete of
 * rows already gone deletes none). Tests call {@link #purgeOnce} by hand.
 */
public final class PlanRetention implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlanRetention.class);

    private final PlanStore plans;
    private final Duration retention;
    private final StoreAvailability store;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("plan-retention").factory());

    public PlanRetention(PlanStore plans, Duration retention, StoreAvailability store) {
        this.plans = plans;
        this.retention = retention;
        this.store = store;
    }

    public PlanRetention start(Duration every) {
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        purgeOnce();
                    } catch (RuntimeException e) {
                        if (!store.failed(e)) log.error("plan retention failed; retrying at the next tick", e);
                    }
                },
                every.toMillis(),
                every.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Returns how many stored plans were deleted. */
    public int purgeOnce() {
        int deleted = plans.purge(retention);
        if (deleted > 0) log.info("plan retention ({}) deleted {} stored plans", retention, deleted);
        return deleted;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
