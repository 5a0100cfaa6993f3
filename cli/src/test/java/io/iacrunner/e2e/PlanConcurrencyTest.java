package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's concurrency rules on one agent, judged from the recorded start and finish times of real runs: a pool's
 * plan limit, and a plan_apply alone or (with {@code allow_apply_concurrent}) beside plans.
 */
class PlanConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void plansRespectThePoolLimitAndAPlanApplyRunsAlone() throws Exception {
        try (E2eHarness system = new E2eHarness(dir)) {
            system.server.setPool("default-pool", 2, false);
            String plan = E2eHarness.printingConfig(3, null);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) ids.add(system.createTask("conc-plan-" + i, "plan", plan));
            ids.add(system.createTask("conc-apply", "plan_apply", E2eHarness.printingConfig(3, "0.2")));
            for (int i = 3; i < 5; i++) ids.add(system.createTask("conc-plan-" + i, "plan", plan));

            system.startAgent("concurrency");
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> ids.stream().allMatch(id -> status(system, id).isTerminal()));

            List<TaskView> tasks = new ArrayList<>();
            for (String id : ids) tasks.add(system.show(id));
            assertThat(tasks)
                    .allSatisfy(t -> assertThat(t.status()).as(t.taskId()).isEqualTo(TaskStatus.SUCCEEDED));
            assertThat(tasks)
                    .as("nobody watched these runs; their logs are complete all the same")
                    .allSatisfy(t -> assertThat(t.logComplete() && t.logLines() > 0)
                            .as(t.taskId())
                            .isTrue());

            List<TaskView> plans =
                    tasks.stream().filter(t -> t.action() == TaskAction.PLAN).toList();
            assertThat(maxOverlap(plans))
                    .as("never more than max_plan_concurrency=2 plans at once")
                    .isEqualTo(2);
            TaskView apply = tasks.stream()
                    .filter(t -> t.action() == TaskAction.PLAN_APPLY)
                    .findFirst()
                    .orElseThrow();
            for (TaskView other : tasks) {
                if (other != apply) {
                    assertThat(overlaps(apply, other))
                            .as("plan_apply overlapped " + other.taskId())
                            .isFalse();
                }
            }
        }
    }

    @Test
    void withApplyConcurrentPlansRunBesideAnApplyOnTheSameAgent() throws Exception {
        try (E2eHarness system = new E2eHarness(dir)) {
            system.server.setPool("default-pool", 2, true);
            // An apply that prints for about 6 s, queued first so it is claimed first; then plans that end in seconds.
            String apply = system.createTask("beside-apply", "plan_apply", E2eHarness.printingConfig(20, "0.3"));
            List<String> plans = new ArrayList<>();
            String plan = E2eHarness.printingConfig(3, null);
            for (int i = 0; i < 3; i++) plans.add(system.createTask("beside-plan-" + i, "plan", plan));

            system.startAgent("beside");
            List<String> ids = new ArrayList<>(plans);
            ids.add(apply);
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> ids.stream().allMatch(id -> status(system, id).isTerminal()));

            TaskView applied = system.show(apply);
            assertThat(applied.status()).isEqualTo(TaskStatus.SUCCEEDED);
            List<TaskView> planned = new ArrayList<>();
            for (String id : plans) planned.add(system.show(id));
            assertThat(planned).allSatisfy(t -> {
                assertThat(t.status()).as(t.taskId()).isEqualTo(TaskStatus.SUCCEEDED);
                assertThat(t.agentId()).isEqualTo(applied.agentId());
            });
            assertThat(planned)
                    .as("plans ran on the apply's agent while it applied")
                    .anySatisfy(t -> assertThat(overlaps(applied, t)).isTrue());
            assertThat(maxOverlap(planned))
                    .as("still at most max_plan_concurrency=2 plans")
                    .isLessThanOrEqualTo(2);
        }
    }

    private static TaskStatus status(E2eHarness system, String id) {
        try {
            return system.show(id).status();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean overlaps(TaskView a, TaskView b) {
        return a.startedAt().isBefore(b.finishedAt()) && b.startedAt().isBefore(a.finishedAt());
    }

    /** The largest number of tasks running at one instant, swept over start (+1) and finish (-1) events. */
    static int maxOverlap(List<TaskView> tasks) {
        record Event(Instant at, int delta) {}
        List<Event> events = new ArrayList<>();
        for (TaskView t : tasks) {
            events.add(new Event(t.startedAt(), 1));
            events.add(new Event(t.finishedAt(), -1));
        }
        // At equal instants a finish counts before a start: touching intervals do not overlap.
        events.sort((x, y) -> x.at().equals(y.at()) ? Integer.compare(x.delta(), y.delta()) : x.at().compareTo(y.at()));
        int running = 0;
        int max = 0;
        for (Event e : events) {
            running += e.delta();
            max = Math.max(max, running);
        }
        return max;
    }
}
