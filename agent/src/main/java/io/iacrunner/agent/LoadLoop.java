package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.PoolConfig;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Reads the agent's load every {@link #INTERVAL} and lets its {@link PlanSlots} adapt; when the slots change, a pull
 * waiting for capacity looks again. Running plans are never touched: fewer slots only mean fewer new claims.
 */
final class LoadLoop implements Runnable {
    /** Short enough to follow plans that last seconds; long enough for a CPU share to mean something. */
    static final Duration INTERVAL = Duration.ofSeconds(2);

    private final PlanSlots slots;
    private final RunningTasks tasks;
    private final Supplier<PoolConfig> pool;
    private final AgentClock clock;
    private final CountDownLatch stop;

    LoadLoop(PlanSlots slots, RunningTasks tasks, Supplier<PoolConfig> pool, AgentClock clock, CountDownLatch stop) {
        this.slots = slots;
        this.tasks = tasks;
        this.pool = pool;
        this.clock = clock;
        this.stop = stop;
    }

    /** One reading; also called once before the first pull, so that it already asks for what the load allows. */
    void readOnce() {
        if (slots.observe(tasks.snapshot().plansRunning(), pool.get())) tasks.poolChanged();
    }

    @Override
    public void run() {
        try {
            while (!clock.await(stop, INTERVAL)) readOnce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
