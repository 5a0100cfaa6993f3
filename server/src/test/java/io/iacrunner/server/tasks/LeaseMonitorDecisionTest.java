package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The recovery table for tasks whose agent was lost. */
class LeaseMonitorDecisionTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(TaskAction.PLAN, null, 1, false, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 2, false, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 3, false, TaskStatus.ERRORED, false),
                Arguments.of(TaskAction.PLAN, TaskPhase.PLANNING, 1, true, TaskStatus.CANCELED, false),
                Arguments.of(TaskAction.PLAN_APPLY, TaskPhase.PLANNING, 1, false, TaskStatus.QUEUED, false),
                Arguments.of(TaskAction.PLAN_APPLY, null, 3, false, TaskStatus.ERRORED, false),
                Arguments.of(TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, false, TaskStatus.ERRORED, true),
                Arguments.of(TaskAction.PLAN_APPLY, TaskPhase.APPLYING, 1, true, TaskStatus.ERRORED, true));
    }

    @ParameterizedTest(name = "{0} in {1}, attempt {2}, cancel requested {3} -> {4}, lock kept {5}")
    @MethodSource("cases")
    void lostTasksAreRequeuedErroredOrCanceledAndAnApplyThatMayHaveStartedKeepsTheLock(TaskAction action,
            TaskPhase phase, int attempt, boolean cancelRequested, TaskStatus expected, boolean keepLock) {
        var decision = LeaseMonitor.decide(new TaskStore.Running("t-x", "ws", action, phase, attempt, "a-x", cancelRequested),
                "agent a-x was lost");
        assertThat(decision.status()).isEqualTo(expected);
        assertThat(decision.keepLock()).isEqualTo(keepLock);
        assertThat(decision.message()).contains("a-x");
    }
}
