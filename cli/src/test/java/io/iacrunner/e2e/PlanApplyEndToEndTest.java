package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The walking skeleton's acceptance, with real Terraform: queue, pull, run, log, state, replay, via the CLI. */
class PlanApplyEndToEndTest {
    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir);
        system.startAgent("e2e");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void planApplyPrintingTwoThousandLinesIsStoredReplayedAndAdvancesTheState() throws Exception {
        String taskId = system.createTask("e2e-main", "plan_apply", E2eHarness.printingConfig(2000, null));
        assertThat(taskId).matches("t-[0-9a-z]{16}");

        E2eHarness.CliResult followed = system.cli("logs", taskId, "--follow");
        assertThat(followed.exit()).as(followed.err()).isZero();
        E2eHarness.assertProvisionerPrinted(followed.out().lines().toList(), 2000, "", "the followed log");

        E2eHarness.CliResult replayed = system.cli("logs", taskId);
        assertThat(replayed.exit()).isZero();
        assertThat(replayed.out()).as("replay equals what was followed live").isEqualTo(followed.out());
        assertThat(E2eHarness.plain(replayed.out()))
                .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");

        TaskView task = system.show(taskId);
        assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(task.exitCode()).isZero();
        assertThat(task.logComplete()).isTrue();
        assertThat(task.logLines()).isEqualTo(replayed.out().lines().count());
        assertThat(task.startedAt()).isAfterOrEqualTo(task.createdAt());
        assertThat(task.finishedAt()).isAfterOrEqualTo(task.startedAt());

        E2eHarness.CliResult state = system.cli("state", "show", "e2e-main");
        assertThat(state.exit()).isZero();
        var stateJson = WireJson.lenient().readTree(state.out());
        long serial = stateJson.path("serial").asLong();
        assertThat(serial).as("the apply advanced the serial").isGreaterThanOrEqualTo(1);
        assertThat(stateJson.path("resources").toString()).contains("terraform_data");

        String planId = system.createTask("e2e-main", "plan", E2eHarness.printingConfig(2000, null));
        E2eHarness.CliResult plan = system.cli("logs", planId, "--follow");
        assertThat(plan.exit()).as(plan.err()).isZero();
        assertThat(E2eHarness.plain(plan.out())).contains("No changes.");
        assertThat(WireJson.lenient()
                        .readTree(system.cli("state", "show", "e2e-main").out())
                        .path("serial")
                        .asLong())
                .as("a plan never changes state")
                .isEqualTo(serial);

        E2eHarness.CliResult agents = system.cli("agents", "--json");
        assertThat(agents.exit()).isZero();
        var agent = WireJson.lenient().readTree(agents.out()).path("agents").get(0);
        assertThat(agent.path("name").asText()).isEqualTo("e2e");
        assertThat(agent.path("pool_id").asText()).isEqualTo("default-pool");
        assertThat(agent.path("status").asText()).isIn("idle", "busy");
    }

    @Test
    void configWithAnErrorEndsFailedWithTerraformsMessage() throws Exception {
        String taskId = system.createTask(
                "e2e-broken",
                "plan_apply",
                "{\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"${terraform_data.missing.id}\"}}}}");
        E2eHarness.CliResult followed = system.cli("logs", taskId, "--follow");
        assertThat(followed.exit()).isNotZero();
        assertThat(E2eHarness.plain(followed.out())).contains("Reference to undeclared resource");
        TaskView task = system.show(taskId);
        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.exitCode()).isNotNull().isNotZero();
        assertThat(system.cli("state", "show", "e2e-broken").exit())
                .as("no state was written")
                .isNotZero();
    }

    @Test
    void aViewerJoiningMidRunAndOneResumingFromAnOffsetEachGetEveryLineOnce() throws Exception {
        String taskId = system.createTask("e2e-viewers", "plan_apply", E2eHarness.printingConfig(300, "0.01"));
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> system.show(taskId).logLines() > 20
                        && system.show(taskId).status() == TaskStatus.RUNNING);

        E2eHarness.CliResult late = system.cli("logs", taskId, "--follow");
        assertThat(late.exit()).isZero();
        E2eHarness.assertProvisionerPrinted(late.out().lines().toList(), 300, "", "the late follower's log");

        long total = late.out().lines().count();
        E2eHarness.CliResult resumed = system.cli("logs", taskId, "--follow", "--offset", "25");
        assertThat(resumed.exit()).isZero();
        assertThat(resumed.out().lines().count()).isEqualTo(total - 25);
        assertThat(late.out()).endsWith(resumed.out());
    }
}
