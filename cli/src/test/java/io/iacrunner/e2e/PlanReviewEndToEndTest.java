package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.cli.ExitCodes;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.RawBytes;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plan review with real Terraform, through the CLI: a plan_apply without auto-apply stops planned and applies nothing;
 * confirmed, another agent applies exactly the stored plan; a reviewed plan task is applied once and a second plan
 * made from the same state is refused as stale; a destroy waits even with auto-apply on. The stored plan is sealed:
 * nothing of it is in the database's files or in an API response.
 */
class PlanReviewEndToEndTest {
    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() {
        system = new E2eHarness(dir, c -> c.autoApplyDefault(false)); // new workspaces wait, as in production
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    /** One resource whose input is {@code input}, a sensitive variable when {@code fromVariable}. */
    static String config(String input) {
        return "{\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"" + input + "\"}}}}";
    }

    static final String SECRET_CONFIG = "{\"variable\":{\"secret\":{\"type\":\"string\",\"sensitive\":true}},"
            + "\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"${var.secret}\"}}}}";

    JsonNode state(String workspace) throws Exception {
        return WireJson.lenient()
                .readTree(system.cli("state", "show", workspace).out());
    }

    E2eHarness.CliResult follow(String taskId) {
        return system.cli("logs", taskId, "--follow");
    }

    String cliOk(String... args) {
        E2eHarness.CliResult r = system.cli(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out().trim();
    }

    @Test
    void aPlannedRunAppliesNothingUntilConfirmedThenAnotherAgentAppliesExactlyThatPlan() throws Exception {
        String ws = "review-" + UUID.randomUUID().toString().substring(0, 8);
        String marker = "secret-" + UUID.randomUUID();
        Agent planner = system.startAgent("planner");
        Path config = system.file("secret.tf.json", SECRET_CONFIG);
        Path vars = system.file("secret-vars.json", "{\"secret\": \"" + marker + "\"}");
        String taskId = cliOk(
                "task",
                "create",
                "--workspace",
                ws,
                "--action",
                "plan_apply",
                "--config",
                config.toString(),
                "--vars",
                vars.toString(),
                "--sensitive-var",
                "secret");

        E2eHarness.CliResult planned = follow(taskId);
        assertThat(planned.exit()).as(planned.toString()).isEqualTo(ExitCodes.AWAITING_CONFIRMATION);
        assertThat(E2eHarness.plain(planned.out())).contains("Plan: 1 to add").contains("waits for confirmation");
        TaskView waiting = system.show(taskId);
        assertThat(waiting.status()).isEqualTo(TaskStatus.PLANNED);
        assertThat(waiting.planSummary().add()).containsExactly("terraform_data.x");
        assertThat(waiting.agentId()).isEqualTo(planner.agentId());
        assertThat(system.workspace(ws).currentStateSerial())
                .as("nothing applied")
                .isNull();
        assertThat(system.workspace(ws).lock().taskId()).isEqualTo(taskId);

        // The stored plan (the plan file names its parts, tfstate-prev among them) is sealed at rest and never served.
        system.server.store().useHandle(h -> h.execute("checkpoint"));
        Path database = system.server.dataDir().resolve("pg");
        int stored = system.server
                .store()
                .withHandle(h -> h.createQuery("select count(*) from stored_plans where task_id = :t")
                        .bind("t", taskId)
                        .mapTo(Integer.class)
                        .one());
        assertThat(stored).isEqualTo(1);
        for (String needle : List.of(marker, "tfstate-prev", "tfconfig/")) {
            assertThat(RawBytes.filesContaining(database, needle)).as(needle).isEmpty();
        }
        for (String path : List.of(
                ApiPaths.fill(ApiPaths.TASK, taskId),
                ApiPaths.TASKS + "?workspace=" + ws,
                ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, taskId),
                ApiPaths.fill(ApiPaths.TASK_LOGS, taskId),
                ApiPaths.fill(ApiPaths.WORKSPACE, ws),
                ApiPaths.WORKSPACES)) {
            assertThat(system.server.admin().getText(path)).as(path).doesNotContain(marker, "tfstate-prev");
        }

        planner.close(); // hours later, elsewhere: the agent that planned is gone
        Agent applier = system.startAgent("applier");
        assertThat(cliOk("task", "confirm", taskId, "--comment", "reviewed")).isEqualTo("queued");
        E2eHarness.CliResult applied = follow(taskId);
        assertThat(applied.exit()).as(applied.toString()).isZero();
        assertThat(E2eHarness.plain(applied.out()))
                .contains("applying the stored plan")
                .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
        TaskView done = system.show(taskId);
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.agentId()).isEqualTo(applier.agentId()).isNotEqualTo(planner.agentId());
        assertThat(done.reviewComment()).isEqualTo("reviewed");
        JsonNode state = state(ws);
        assertThat(state.path("serial").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(state.path("resources").toString())
                .contains("terraform_data")
                .contains(marker);
        assertThat(system.workspace(ws).lock()).isNull();

        // The same configuration again: no changes, so nothing waits.
        String again = cliOk(
                "task",
                "create",
                "--workspace",
                ws,
                "--action",
                "plan_apply",
                "--config",
                config.toString(),
                "--vars",
                vars.toString(),
                "--sensitive-var",
                "secret");
        assertThat(follow(again).exit()).isZero();
        assertThat(system.show(again).message()).isEqualTo("no changes: apply skipped");
        applier.close();
    }

    @Test
    void aReviewedPlanTaskAppliesOnceAndASecondPlanFromTheSameStateEndsErroredAsStale() throws Exception {
        String ws = "stale-" + UUID.randomUUID().toString().substring(0, 8);
        Agent agent = system.startAgent("stale");
        cliOk("workspace", "set", ws, "--auto-apply", "true");
        assertThat(follow(system.createTask(ws, "plan_apply", config("one"))).exit())
                .isZero();
        long serial = state(ws).path("serial").asLong();

        String planA = system.createTask(ws, "plan", config("two"));
        String planB = system.createTask(ws, "plan", config("three"));
        assertThat(follow(planA).exit()).isZero();
        assertThat(follow(planB).exit()).isZero();
        assertThat(state(ws).path("serial").asLong()).isEqualTo(serial);

        String applyA = cliOk("task", "apply", planA);
        assertThat(follow(applyA).exit()).isZero();
        assertThat(state(ws).path("resources").toString()).contains("two");
        long applied = state(ws).path("serial").asLong();
        assertThat(applied).isGreaterThan(serial);

        String applyB = cliOk("task", "apply", planB);
        assertThat(follow(applyB).exit()).isEqualTo(ExitCodes.TASK_FAILED);
        TaskView stale = system.show(applyB);
        assertThat(stale.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(stale.message()).startsWith("stale plan: state changed since the plan");
        assertThat(state(ws).path("serial").asLong()).as("nothing applied").isEqualTo(applied);
        assertThat(state(ws).path("resources").toString()).contains("two").doesNotContain("three");
        agent.close();
    }

    @Test
    void aDestroyWaitsForConfirmationEvenWithAutoApplyAndThenLeavesNoResources() throws Exception {
        String ws = "destroy-" + UUID.randomUUID().toString().substring(0, 8);
        Agent agent = system.startAgent("destroyer");
        cliOk("workspace", "set", ws, "--auto-apply", "true");
        Path config = system.file("destroy.tf.json", config("doomed"));
        assertThat(follow(system.createTask(ws, "plan_apply", config("doomed"))).exit())
                .isZero();
        assertThat(state(ws).path("resources")).isNotEmpty();

        String destroy = cliOk(
                "task",
                "create",
                "--workspace",
                ws,
                "--action",
                "plan_apply",
                "--config",
                config.toString(),
                "--destroy");
        assertThat(follow(destroy).exit()).isEqualTo(ExitCodes.AWAITING_CONFIRMATION);
        TaskView waiting = system.show(destroy);
        assertThat(waiting.status()).isEqualTo(TaskStatus.PLANNED);
        assertThat(waiting.planSummary().destroy()).containsExactly("terraform_data.x");
        assertThat(state(ws).path("resources")).as("nothing destroyed yet").isNotEmpty();

        assertThat(cliOk("task", "confirm", destroy)).isEqualTo("queued");
        assertThat(follow(destroy).exit()).isZero();
        assertThat(state(ws).path("resources")).as("the state has no resources").isEmpty();
        agent.close();
    }
}
