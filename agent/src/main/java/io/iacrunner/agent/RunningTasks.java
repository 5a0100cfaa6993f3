package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.TaskAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attempts this agent is running: the single source of its capacity, its ping's task list, and the way to cancel
 * them. Capacity is derived from this set each time, never tallied separately, so it cannot drift.
 */
final class RunningTasks {
    private static final Logger log = LoggerFactory.getLogger(RunningTasks.class);
    static final String SERVER_CANCEL = "the server asked for it";

    /** @param planLimit the most plans allowed (the pool's, lowered by {@code --max-plans}); {@code planSlots} now */
    record Snapshot(int plansRunning, int appliesRunning, int planLimit, int planSlots, List<String> taskIds) {}

    private final Supplier<PoolConfig> pool;
    private final PlanSlots slots;
    private final AgentClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<TaskRunner> running = new LinkedHashSet<>();

    /** @param clock what the waits for the running tasks to end are timed on (the drain at shutdown) */
    RunningTasks(Supplier<PoolConfig> pool, PlanSlots slots, AgentClock clock) {
        this.pool = pool;
        this.slots = slots;
        this.clock = clock;
    }

    /** Blocks until something can be taken on: a task finishing, the pool's limit or the plan slots changing. */
    Capacity awaitCapacity() throws InterruptedException {
        return awaitCapacity(free -> free);
    }

    /** As {@link #awaitCapacity()}, counting only what {@code limit} leaves of the free capacity (see {@link Intake}). */
    Capacity awaitCapacity(java.util.function.UnaryOperator<Capacity> limit) throws InterruptedException {
        lock.lock();
        try {
            Capacity free = limit.apply(capacity());
            while (free.isEmpty()) {
                changed.await();
                free = limit.apply(capacity());
            }
            return free;
        } finally {
            lock.unlock();
        }
    }

    /** Registers the attempt if the capacity rule allows it now: the agent's own guard behind the server's. */
    boolean admit(TaskRunner runner) {
        lock.lock();
        try {
            if (!capacity().admits(runner.task().action())) return false;
            running.add(runner);
            return true;
        } finally {
            lock.unlock();
        }
    }

    void finished(TaskRunner runner) {
        lock.lock();
        try {
            running.remove(runner);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The pool's settings (a ping reply, a new registration) or the plan slots may have changed: capacity must be
     * looked at again.
     */
    void poolChanged() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    Snapshot snapshot() {
        lock.lock();
        try {
            int applies = count(TaskAction.PLAN_APPLY);
            List<String> ids =
                    running.stream().map(r -> r.task().taskId()).distinct().toList();
            PoolConfig now = pool.get();
            return new Snapshot(running.size() - applies, applies, slots.cap(now), slots.limit(now), ids);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Carries out the server's cancel orders, from a ping reply or a pull response alike (whichever comes first):
     * every attempt of a named task running here is canceled, and tasks not running here are ignored. A repeated
     * order changes nothing, except that a {@code force} order kills a task whose graceful cancel is still waiting.
     */
    void cancel(List<CancelOrder> orders) {
        if (orders == null) return;
        for (CancelOrder order : orders) {
            if (order == null || order.taskId() == null) continue;
            for (TaskRunner runner : runnersMatching(order.taskId())) {
                if (runner.cancel(SERVER_CANCEL, order.force())) {
                    log.info(
                            "task {} attempt {}: canceling{}, as the server asked",
                            order.taskId(),
                            runner.task().attempt(),
                            order.force() ? " at once (forced)" : "");
                }
            }
        }
    }

    /** Cancels every running attempt gracefully (agent shutdown). */
    void cancelAll(String reason) {
        for (TaskRunner runner : runnersMatching(null)) runner.cancel(reason, false);
    }

    /** Kills every running attempt at once and drops its reports (the lease is lost); returns how many. */
    int dropAll(String reason) {
        List<TaskRunner> all = runnersMatching(null);
        for (TaskRunner runner : all) runner.drop(reason);
        return all.size();
    }

    int size() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing runs, at most {@code timeout}; returns whether nothing runs. */
    boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = clock.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!running.isEmpty()) {
                long left = deadline - clock.nanoTime();
                if (left <= 0) return false;
                clock.waitOn(changed, left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private List<TaskRunner> runnersMatching(String taskId) {
        lock.lock();
        try {
            List<TaskRunner> matching = new ArrayList<>();
            for (TaskRunner runner : running) {
                if (taskId == null || runner.task().taskId().equals(taskId)) matching.add(runner);
            }
            return matching;
        } finally {
            lock.unlock();
        }
    }

    private Capacity capacity() {
        int applies = count(TaskAction.PLAN_APPLY);
        PoolConfig now = pool.get();
        return Capacity.of(now, slots.limit(now), running.size() - applies, applies);
    }

    private int count(TaskAction action) {
        return (int) running.stream().filter(r -> r.task().action() == action).count();
    }
}
