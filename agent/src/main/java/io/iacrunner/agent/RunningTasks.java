package io.iacrunner.agent;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.TaskAction;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The attempts this agent is running: the single source of its capacity, its ping's task list, and the way to cancel
 * them. Capacity is derived from this set each time, never tallied separately, so it cannot drift.
 */
final class RunningTasks {
    record Snapshot(int plansRunning, int appliesRunning, int planLimit, List<String> taskIds) {}

    private final Supplier<PoolConfig> pool;
    private final int localPlanLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<TaskRunner> running = new LinkedHashSet<>();

    RunningTasks(Supplier<PoolConfig> pool, int localPlanLimit) {
        this.pool = pool;
        this.localPlanLimit = localPlanLimit;
    }

    /** Blocks until something can be taken on: a task finishing or the pool's limit changing. */
    Capacity awaitCapacity() throws InterruptedException {
        lock.lock();
        try {
            Capacity free = capacity();
            while (free.isEmpty()) {
                changed.await();
                free = capacity();
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

    /** The pool's settings may have changed (a ping reply, a new registration): capacity must be looked at again. */
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
            List<String> ids = running.stream().map(r -> r.task().taskId()).distinct().toList();
            return new Snapshot(running.size() - applies, applies, Capacity.planLimit(pool.get(), localPlanLimit), ids);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Cancels every attempt of the task running here (the server names tasks, not attempts); returns how many were
     * not already being canceled.
     */
    int cancel(String taskId, String reason) {
        int canceled = 0;
        for (TaskRunner runner : runnersMatching(taskId)) {
            if (runner.cancel(reason)) canceled++;
        }
        return canceled;
    }

    void cancelAll(String reason) {
        for (TaskRunner runner : runnersMatching(null)) runner.cancel(reason);
    }

    void awaitEmpty() throws InterruptedException {
        lock.lock();
        try {
            while (!running.isEmpty()) changed.await();
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
        return Capacity.of(pool.get(), localPlanLimit, running.size() - applies, applies);
    }

    private int count(TaskAction action) {
        return (int) running.stream().filter(r -> r.task().action() == action).count();
    }
}
