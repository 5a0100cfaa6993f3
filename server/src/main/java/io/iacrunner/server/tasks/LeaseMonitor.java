package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.util.Signals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers the tasks of agents whose lease ran out (no ping for the lease timeout, judged by the database clock)
 * or that deregistered. Runs on every replica: rows are taken with SKIP LOCKED and every change is fenced by the
 * attempt, so two replicas never handle one task twice.
 */
public final class LeaseMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseMonitor.class);
    /** A task whose agent is lost this many times ends errored instead of being queued again. */
    public static final int MAX_ATTEMPTS = 3;
    private static final int BATCH = 100;

    /** What happens to a lost task, and to its workspace lock. */
    record Decision(TaskStatus status, String message, boolean keepLock) {}

    private final Jdbi jdbi;
    private final TaskStore tasks;
    private final Signals<String> queueSignals;
    private final Signals<String> taskSignals;
    private final Duration lease;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lease-monitor").factory());

    private final MeterRegistry metrics;
    private final StoreAvailability store;

    public LeaseMonitor(Jdbi jdbi, TaskStore tasks, Signals<String> queueSignals, Signals<String> taskSignals,
            Duration lease, MeterRegistry metrics, StoreAvailability store) {
        this.store = store;
        this.jdbi = jdbi;
        this.tasks = tasks;
        this.queueSignals = queueSignals;
        this.taskSignals = taskSignals;
        this.lease = lease;
        this.metrics = metrics;
    }

    /** Checks every {@code every}; a lost agent's tasks are recovered within lease + every. */
    public LeaseMonitor start(Duration every) {
        timer.scheduleWithFixedDelay(this::recoverSafely, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void recoverSafely() {
        try {
            recoverOnce();
        } catch (RuntimeException e) {
            // A store outage is logged once by StoreAvailability; the next tick after it recovers what it missed.
            if (!store.failed(e)) log.error("lease recovery failed; retrying at the next tick", e);
        }
    }

    /** Recovers every lost task now; returns how many were handled. */
    public int recoverOnce() {
        int total = 0;
        while (true) {
            List<TaskStore.Running> handled = jdbi.inTransaction(h -> recover(h, tasks.lockLost(h, lease, BATCH),
                    task -> "agent " + task.agentId() + " was lost (no ping within the lease)"));
            total += handled.size();
            if (handled.size() < BATCH) return total;
        }
    }

    /**
     * Recovers the running tasks of {@code agentId} that its heartbeat no longer lists ({@code reported}), once they
     * are older than the lease: the agent never received them or has given them up, while its pings still arrive (so
     * {@link #recoverOnce()} would never see them). Returns how many were handled.
     */
    public int recoverAbandoned(String agentId, List<String> reported) {
        return jdbi.inTransaction(h -> recover(h, tasks.lockAbandoned(h, agentId, reported, lease),
                task -> "agent " + task.agentId() + " no longer runs it (its heartbeat does not list it)")).size();
    }

    private List<TaskStore.Running> recover(Handle h, List<TaskStore.Running> lost, Function<TaskStore.Running, String> why) {
        List<TaskStore.Running> done = new ArrayList<>();
        for (TaskStore.Running task : lost) {
            Decision d = decide(task, why.apply(task));
            boolean moved = tasks.move(h, task.taskId(), TaskStatus.RUNNING, d.status(),
                    new TaskStore.Fence(task.agentId(), task.attempt()), TaskStore.Outcome.of(null, d.message())).isPresent();
            if (!moved) continue;
            if (task.action() == TaskAction.PLAN_APPLY) {
                if (d.keepLock()) tasks.holdWorkspaceLock(h, task.taskId(), d.message());
                else tasks.releaseWorkspaceLock(h, task.taskId());
            }
            log.warn("task {} attempt {}: {} -> {}", task.taskId(), task.attempt(), d.message(), d.status().wireName());
            // Counted where it happened: summed over replicas, each lost task counts once.
            h.afterCommit(() -> Counter.builder("iac.tasks.recovered").tag("to", d.status().wireName())
                    .description("Running tasks taken back from lost agents, by what they became").register(metrics).increment());
            done.add(task);
        }
        // Signalled after the commit by the caller's transaction ending first: a woken viewer or puller sees the change.
        h.afterCommit(() -> {
            done.forEach(t -> taskSignals.signal(t.taskId()));
            if (!done.isEmpty()) queueSignals.signal(TaskService.QUEUE);
        });
        return done;
    }

    /**
     * The recovery rules. An apply that may have started is never re-run: resources may exist that no state records,
     * so the task errors and its workspace stays locked until a person unlocks it.
     */
    static Decision decide(TaskStore.Running task, String lost) {
        boolean mayHaveApplied = task.action() == TaskAction.PLAN_APPLY && task.phase() == TaskPhase.APPLYING;
        if (mayHaveApplied) {
            return new Decision(TaskStatus.ERRORED, lost + " while applying: resources may exist that no state records;"
                    + " the workspace stays locked until it is inspected and unlocked with --force", true);
        }
        if (task.cancelRequested()) return new Decision(TaskStatus.CANCELED, lost + " after a cancel was requested", false);
        // A task that loses its agent again and again may be what kills it: stop retrying.
        if (task.attempt() >= MAX_ATTEMPTS) {
            return new Decision(TaskStatus.ERRORED, lost + "; attempt " + task.attempt() + " of " + MAX_ATTEMPTS
                    + ", not retried again", false);
        }
        return new Decision(TaskStatus.QUEUED, lost + " during attempt " + task.attempt() + "; queued again", false);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
