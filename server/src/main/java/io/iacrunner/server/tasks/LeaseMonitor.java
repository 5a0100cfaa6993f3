package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.util.StoreClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers the tasks of agents whose lease ran out (no ping for the lease timeout, judged by the database clock)
 * or that deregistered. Runs on every replica: rows are taken with SKIP LOCKED and every change is fenced by the
 * attempt, so two replicas never handle one task twice.
 *
 * <p>An agent that cannot reach the server has not necessarily stopped working: a plan it ran is queued again
 * elsewhere (it is cheap to repeat), but an apply is waited for (it must never run twice, and the agent delivers its
 * outcome, log and state when it can). Silence is counted from this monitor's start at the earliest, so a server that
 * was down does not take its outage out on the agents that could not ping it meanwhile.
 */
public final class LeaseMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseMonitor.class);
    /** A task whose agent is lost this many times ends errored instead of being queued again. */
    public static final int MAX_ATTEMPTS = 3;

    private static final int BATCH = 100;

    /** How the server came to know the agent does not run the task any more, or cannot be heard. */
    enum Cause {
        /** No ping for the lease: the agent may still be working, out of reach. */
        SILENT,
        /** Its apply waited the whole lost-apply window for it. */
        WAITED_OUT,
        /** It deregistered: it will not come back. */
        DEREGISTERED,
        /** It pings but no longer lists the task: it never got it, gave it up, or restarted without it. */
        ABANDONED
    }

    /**
     * What happens to a lost task, and to its workspace lock. {@code waitForAgent}: nothing changes but the note that
     * the agent is unreachable; the task stays the agent's running attempt.
     */
    record Decision(TaskStatus status, String message, boolean keepLock, boolean waitForAgent) {
        static Decision waitFor(String message) {
            return new Decision(TaskStatus.RUNNING, message, true, true);
        }

        static Decision move(TaskStatus status, String message, boolean keepLock) {
            return new Decision(status, message, keepLock, false);
        }

        /** What the move records: the message, on the task and, when the lock is kept, on the workspace lock. */
        TaskStore.Outcome outcome() {
            TaskStore.Outcome outcome = TaskStore.Outcome.of(null, message);
            return keepLock ? outcome.keepingLock(message) : outcome;
        }
    }

    private final Jdbi jdbi;
    private final TaskStore tasks;
    private final Signals<String> queueSignals;
    private final Signals<String> taskSignals;
    private final Duration lease;
    private final Duration lostApplyWindow;
    /** The database's clock when this monitor was made: silence before it does not count. */
    private final StoreClock clock;
    /** Silence before this instant does not count: this monitor's start, or the end of a store outage. */
    private volatile Instant countingSince;
    /** The last tick failed for want of the store: the next that succeeds counts silence from its own now. */
    private volatile boolean storeWasDown;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lease-monitor").factory());

    private final MeterRegistry metrics;
    private final StoreAvailability store;

    /**
     * @param lostApplyWindow how long an apply whose agent went silent waits for it before it is errored
     * @param clock the time leases are judged by; the monitor counts silence from its now at construction at the
     *     earliest, and from the end of a store outage (agents could not ping meanwhile)
     * @param store where an outage of the store is recorded (and logged once)
     */
    public LeaseMonitor(
            Jdbi jdbi,
            TaskStore tasks,
            Signals<String> queueSignals,
            Signals<String> taskSignals,
            Duration lease,
            Duration lostApplyWindow,
            StoreClock clock,
            MeterRegistry metrics,
            StoreAvailability store) {
        this.store = store;
        this.jdbi = jdbi;
        this.tasks = tasks;
        this.queueSignals = queueSignals;
        this.taskSignals = taskSignals;
        this.lease = lease;
        this.lostApplyWindow = lostApplyWindow;
        this.metrics = metrics;
        this.clock = clock;
        this.countingSince = now();
    }

    /** Checks every {@code every}; a lost agent's tasks are recovered within lease + every. */
    public LeaseMonitor start(Duration every) {
        timer.scheduleWithFixedDelay(this::tick, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * One tick of the timer, which tests call by hand: recovers lost tasks, and survives a store outage, after which
     * silence counts only from the tick that finds the store back. Returns false when the store was unavailable.
     */
    public boolean tick() {
        try {
            if (storeWasDown) {
                // While the store was down no ping could be recorded: nobody's silence meanwhile counts.
                countingSince = now();
                storeWasDown = false;
            }
            recoverOnce();
            return true;
        } catch (RuntimeException e) {
            // A store outage is logged once by StoreAvailability; the next tick after it recovers what it missed.
            if (!store.failed(e)) {
                log.error("lease recovery failed; retrying at the next tick", e);
                return true;
            }
            storeWasDown = true;
            return false;
        }
    }

    private Instant now() {
        return jdbi.withHandle(h -> clock.at(h.createQuery("select <now>"))
                        .mapTo(OffsetDateTime.class)
                        .one())
                .toInstant();
    }

    /** Recovers every lost task now; returns how many were handled. */
    public int recoverOnce() {
        int total = 0;
        while (true) {
            List<TaskStore.Running> lost = new ArrayList<>();
            List<TaskStore.Running> handled = jdbi.inTransaction(h -> {
                lost.addAll(tasks.lockLost(h, lease, countingSince, lostApplyWindow, BATCH));
                return recover(h, lost, LeaseMonitor::causeOf);
            });
            total += handled.size();
            if (lost.size() < BATCH) return total;
        }
    }

    private static Cause causeOf(TaskStore.Running task) {
        return task.agentGone() ? Cause.DEREGISTERED : task.waitedOut() ? Cause.WAITED_OUT : Cause.SILENT;
    }

    /**
     * Recovers the running tasks of {@code agentId} that its heartbeat no longer lists ({@code reported}), once they
     * are older than the lease: the agent never received them or has given them up, while its pings still arrive (so
     * {@link #recoverOnce()} would never see them). Returns how many were handled.
     */
    public int recoverAbandoned(String agentId, List<String> reported) {
        return jdbi.inTransaction(
                        h -> recover(h, tasks.lockAbandoned(h, agentId, reported, lease), t -> Cause.ABANDONED))
                .size();
    }

    private List<TaskStore.Running> recover(
            Handle h, List<TaskStore.Running> lost, Function<TaskStore.Running, Cause> causes) {
        List<TaskStore.Running> done = new ArrayList<>();
        // A task queued again wakes a pull for itself; one that ended may have released its workspace's lock.
        List<String> queueKeys = new ArrayList<>();
        for (TaskStore.Running task : lost) {
            Decision d = decide(task, causes.apply(task), lostApplyWindow);
            if (d.waitForAgent()) {
                tasks.markAgentLost(h, task, d.message());
            } else {
                boolean moved = tasks.move(h, task, d.status(), d.outcome()).isPresent();
                if (!moved) continue;
            }
            String to = d.waitForAgent() ? "waiting" : d.status().wireName();
            log.warn("task {} attempt {}: {} -> {}", task.taskId(), task.attempt(), d.message(), to);
            // Counted where it happened: summed over replicas, each lost task counts once.
            h.afterCommit(() -> Counter.builder("iac.tasks.recovered")
                    .tag("to", to)
                    .description(
                            "Running tasks of lost agents, by what became of them (waiting: an apply waits for its agent)")
                    .register(metrics)
                    .increment());
            done.add(task);
            if (!d.waitForAgent()) queueKeys.add(d.status() == TaskStatus.QUEUED ? task.taskId() : TaskService.QUEUE);
        }
        // Signalled after the commit by the caller's transaction ending first: a woken viewer or puller sees the
        // change.
        h.afterCommit(() -> {
            done.forEach(t -> taskSignals.signal(t.taskId()));
            queueKeys.forEach(queueSignals::signal);
        });
        return done;
    }

    /**
     * The recovery rules. An apply that may have started is never re-run: resources may exist that no state records.
     * While its agent is merely silent it is waited for, up to the lost-apply window; an agent that will not deliver
     * it (gone, restarted without it, or silent for the whole window) leaves it errored with its workspace locked
     * until a person unlocks it.
     */
    static Decision decide(TaskStore.Running task, Cause cause, Duration lostApplyWindow) {
        String agent = "agent " + task.agentId();
        String lost = switch (cause) {
            case SILENT -> agent + " was lost (no ping within the lease)";
            case WAITED_OUT -> agent + " did not come back within " + human(lostApplyWindow);
            case DEREGISTERED -> agent + " deregistered";
            case ABANDONED -> agent + " no longer runs it (its heartbeat does not list it)";
        };
        boolean mayHaveApplied = task.action() == TaskAction.PLAN_APPLY && task.phase() == TaskPhase.APPLYING;
        if (mayHaveApplied) {
            if (cause == Cause.SILENT) {
                return Decision.waitFor(
                        agent + " is unreachable (no ping within the lease) while applying; the apply goes"
                                + " on there and its outcome, log and state are taken when the agent is back (waiting up to "
                                + human(lostApplyWindow) + ", or until the workspace is unlocked with --force)");
            }
            return Decision.move(
                    TaskStatus.ERRORED,
                    lost + " while applying: resources may exist that no state records;"
                            + " the workspace stays locked until it is inspected and unlocked with --force",
                    true);
        }
        return notApplied(task, lost);
    }

    /**
     * The rules for an attempt that cannot have applied, whose agent no longer runs it ({@code lost} says why): canceled
     * when a cancel was pending, else queued again while attempts remain.
     */
    static Decision notApplied(TaskStore.Running task, String lost) {
        if (task.cancelRequested())
            return Decision.move(TaskStatus.CANCELED, lost + " after a cancel was requested", false);
        // A task that loses its agent again and again may be what kills it: stop retrying.
        if (task.attempt() >= MAX_ATTEMPTS) {
            return Decision.move(
                    TaskStatus.ERRORED,
                    lost + "; attempt " + task.attempt() + " of " + MAX_ATTEMPTS + ", not retried again",
                    false);
        }
        return Decision.move(TaskStatus.QUEUED, lost + " during attempt " + task.attempt() + "; queued again", false);
    }

    /** 24 h, 90 min, 45 s: the window as a person would say it. */
    static String human(Duration d) {
        if (d.toSeconds() % 3600 == 0) return d.toHours() + " h";
        if (d.toSeconds() % 60 == 0) return d.toMinutes() + " min";
        return d.toSeconds() + " s";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
