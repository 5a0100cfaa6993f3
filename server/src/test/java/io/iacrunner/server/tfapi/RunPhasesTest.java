package io.iacrunner.server.tfapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunPhasesTest {
    private static final PlanSummary NO_RESOURCES = new PlanSummary(List.of(), List.of(), List.of());
    private static final PlanSummary ONE_TO_ADD = new PlanSummary(List.of("terraform_data.x"), List.of(), List.of());

    @Test
    void aRunWaitingForConfirmationHasChangesThoughItsSummaryListsNoResource() {
        assertThat(new RunPhases(run(TaskStatus.PLANNED, NO_RESOURCES)).hasChanges())
                .isTrue();
        assertThat(new RunPhases(run(TaskStatus.SUCCEEDED, NO_RESOURCES)).hasChanges())
                .isFalse();
        assertThat(new RunPhases(run(TaskStatus.SUCCEEDED, ONE_TO_ADD)).hasChanges())
                .isTrue();
        assertThat(new RunPhases(run(TaskStatus.RUNNING, null)).hasChanges()).isFalse();
    }

    /** A plan_apply that needs confirmation, planned by its first attempt. */
    private static TaskView run(TaskStatus status, PlanSummary summary) {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        return new TaskView(
                "t-1",
                "ws-1",
                TaskAction.PLAN_APPLY,
                status,
                TaskPhase.PLANNING,
                1,
                status == TaskStatus.RUNNING ? null : 0,
                null,
                "1.11.4",
                at,
                at,
                status == TaskStatus.SUCCEEDED ? at : null,
                "a-1",
                0,
                true,
                null,
                Map.of(),
                false,
                summary,
                null,
                null,
                null,
                true,
                null,
                null,
                null,
                null,
                null);
    }
}
