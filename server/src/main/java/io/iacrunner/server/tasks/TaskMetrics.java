package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The tasks' meters an operator alerts on: how runs end, how long their phases take, how long each attempt waited to
 * start. Recorded after the change they count has committed, by the one place that makes it ({@link TaskStore}'s
 * status change and phase update, the claim), so no path that finishes a task can be missed or counted twice.
 */
public final class TaskMetrics {
    private final MeterRegistry registry;

    public TaskMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A task ended {@code status}: {@code iac_tasks_finished_total{action,status}}. */
    void finished(TaskAction action, TaskStatus status) {
        Counter.builder("iac.tasks.finished")
                .description("Tasks that ended, by action and final status")
                .tag("action", action.wireName())
                .tag("status", status.wireName())
                .register(registry)
                .increment();
    }

    /** A run spent {@code took} in {@code phase}: {@code iac_run_phase_seconds{action,phase}}. */
    void phaseEnded(TaskAction action, TaskPhase phase, Duration took) {
        Timer.builder("iac.run.phase")
                .description("Time runs spent in each phase (planning, applying), measured when the phase ended")
                .tag("action", action.wireName())
                .tag("phase", phase.wireName())
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100))
                .maximumExpectedValue(Duration.ofHours(12))
                .register(registry)
                .record(took);
    }

    /**
     * An attempt started {@code waited} after it was queued: {@code iac_queue_to_start_seconds{attempt}}, with the
     * attempt as {@code 1}, {@code 2} or {@code 3+} (retries are few: the label stays small).
     */
    void started(int attempt, Duration waited) {
        Timer.builder("iac.queue.to.start")
                .description("From a task's (re)queueing to its claim by an agent, by attempt")
                .tag("attempt", attempt >= 3 ? "3+" : Integer.toString(attempt))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry)
                .record(waited);
    }
}
