package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.server.tasks.LeaseMonitor.Cause;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The recovery table for tasks whose agent was lost, went silent, left or forgot them. */
class LeaseMonitorDecisionTest {
    private static final Duration WINDOW = Duration.ofHours(24);

    static Stream<Arguments> cases() {
        return Stream.of(
                // action, phase, attempt, cancel requested, cause -> status (RUNNING: waited for), lock kept
                Arguments.of(TaskAction.PLAN, null, 1, false, Cause.SILENT, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 2, false, Cause.SILENT, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 3, false, Cause.SILENT, TaskStatus.ERRORED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 1, true, Cause.SILENT, TaskStatus.CANCELED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 1, false, Cause.ABANDONED, TaskStatus.QUEUED, false),
                Arguments.of(
                        TaskAction.PLAN, TaskPhase.PLANNING, 1, false, Cause.DEREGISTERED, TaskStatus.QUEUED, false),
                Arguments.of(
                        TaskAction.PLAN_APPLY, TaskPhase.PLANNING, 1, false, Cause.SILENT, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN_APPLY, null, 3, false, Cause.SILENT, TaskStatus.ERRORED, false),
                // An apply that may have started: waited for while its agent is merely silent, never re-run.
                Arguments.of(
                        TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, false, Cause.SILENT, TaskStatus.RUNNING, true),
                Arguments.of(
                        TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, true, Cause.SILENT, TaskStatus.RUNNING, true),
                Arguments.of(
                        TaskAction.PLAN_APPLY,
                        TaskPhase.APPLYING,
                        1,
                        false,
                        Cause.WAITED_OUT,
                        TaskStatus.ERRORED,
                        true),
                Arguments.of(
                        TaskAction.PLAN_APPLY,
                        TaskPhase.APPLYING,
                        1,
                        false,
                        Cause.DEREGISTERED,
                        TaskStatus.ERRORED,
                        true),
                Arguments.of(
                        TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, true, Cause.ABANDONED, TaskStatus.ERRORED, true));
    }

    @ParameterizedTest(name = "{0} in {1}, attempt {2}, cancel requested {3}, {4} -> {5}, lock kept {6}")
    @MethodSource("cases")
    void lostTasksAreRequeuedErroredCanceledOrWaitedForAndAnApplyThatMayHaveStartedKeepsTheLock(
            TaskAction action,
            TaskPhase phase,
            int attempt,
            boolean cancelRequested,
            Cause cause,
            TaskStatus expected,
            boolean keepLock) {
        var decision = LeaseMonitor.decide(
                new TaskStore.Running(
                        "t-x",
                        "ws",
                        action,
                        phase,
                        attempt,
                        "a-x",
                        cancelRequested,
                        cause == Cause.DEREGISTERED,
                        cause == Cause.WAITED_OUT),
                cause,
                WINDOW);
        assertThat(decision.status()).isEqualTo(expected);
        assertThat(decision.waitForAgent()).isEqualTo(expected == TaskStatus.RUNNING);
        assertThat(decision.keepLock()).isEqualTo(keepLock);
        assertThat(decision.message()).contains("a-x");
    }

    @Test
    void theWaitingMessageSaysHowLongTheApplyIsWaitedForAndHowToEndItSooner() {
        var decision = LeaseMonitor.decide(
                new TaskStore.Running(
                        "t-x", "ws", TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, "a-x", false, false, false),
                Cause.SILENT,
                Duration.ofMinutes(90));
        assertThat(decision.message())
                .contains("unreachable")
                .contains("90 min")
                .contains("--force");
        assertThat(LeaseMonitor.human(Duration.ofHours(24))).isEqualTo("24 h");
        assertThat(LeaseMonitor.human(Duration.ofSeconds(45))).isEqualTo("45 s");
    }
}
