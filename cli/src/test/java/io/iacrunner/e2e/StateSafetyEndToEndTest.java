package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * State safety with real Terraform, through the CLI: a failed apply's partial state is kept as a version, older
 * versions can be shown and rolled back to (as a new version with a higher serial), plans report what they would do,
 * a plan_apply with nothing to do skips the apply, and the workspace shows its outputs with sensitive ones withheld.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StateSafetyEndToEndTest {
    private static final String WS = "state-safety";
    private static final String OUTPUTS = """
            "output":{"greeting":{"value":"hello"},"secret":{"value":"s3cret-output-value","sensitive":true}}""";
    /** One resource and two outputs. */
    private static final String ONE = "{\"resource\":{\"terraform_data\":{\"a\":{\"input\":\"one\"}}}," + OUTPUTS + "}";
    /** Adds c, created, and d, whose provisioner fails after c exists: the apply fails half done. */
    private static final String HALF = """
            {"resource":{"terraform_data":{"a":{"input":"one"},"c":{"input":"created"},
             "d":{"depends_on":["terraform_data.c"],"provisioner":{"local-exec":{"command":"exit 1"}}}}},""" + OUTPUTS + "}";

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
        system.startAgent("state");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void aFailedApplyKeepsItsPartialStateOlderVersionsRollBackAndANoChangeApplyIsSkipped() throws Exception {
        TaskView first = run(ONE);
        assertThat(first.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(first.planSummary().add()).containsExactly("terraform_data.a");
        assertThat(system.cli("task", "show", first.taskId()).out())
                .contains("plan:", "1 to add, 0 to change, 0 to destroy", "+ terraform_data.a");
        JsonNode v1 = state("--version", "1");

        TaskView half = run(HALF);
        assertThat(half.status()).as("the provisioner failed").isEqualTo(TaskStatus.FAILED);
        assertThat(half.planSummary().add()).containsExactlyInAnyOrder("terraform_data.c", "terraform_data.d");
        JsonNode v2 = state();
        assertThat(v2.path("resources").toString())
                .as("the resource created before the failure is in the stored state")
                .contains("\"name\":\"c\"");
        assertThat(v2.path("lineage").asText()).isEqualTo(v1.path("lineage").asText());
        assertThat(v2.path("serial").asLong()).isGreaterThan(v1.path("serial").asLong());

        E2eHarness.CliResult rollback = system.cli("state", "rollback", WS, "--to", "1");
        assertThat(rollback.exit()).as(rollback.err()).isZero();
        assertThat(rollback.out()).contains("version 3", "restores the content of version 1");
        JsonNode v3 = state();
        assertThat(v3.path("serial").asLong())
                .as("a rollback moves the serial forward")
                .isEqualTo(v2.path("serial").asLong() + 1);
        assertThat(v3.path("resources")).as("with the old content").isEqualTo(v1.path("resources"));
        assertThat(state("--version", "2").path("resources").toString())
                .as("history is kept")
                .contains("\"name\":\"c\"");
        E2eHarness.CliResult versions = system.cli("state", "versions", WS);
        assertThat(versions.out().lines())
                .hasSize(4)
                .anySatisfy(l -> assertThat(l).contains("rollback to 1"));
        assertThat(system.cli("state", "rollback", WS, "--to", "9").exit())
                .as("no such version")
                .isEqualTo(4);

        TaskView again = run(ONE);
        assertThat(again.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(again.planSummary().hasChanges()).isFalse();
        assertThat(again.message()).isEqualTo("no changes: apply skipped");
        assertThat(system.cli("logs", again.taskId()).out()).doesNotContain("Apply complete");
        assertThat(system.cli("state", "versions", WS).out().lines())
                .as("nothing applied, no new version")
                .hasSize(4);

        E2eHarness.CliResult workspace = system.cli("workspace", "show", WS);
        assertThat(workspace.out())
                .contains("output.greeting:", "\"hello\"", "output.secret:", "(sensitive)")
                .doesNotContain("s3cret-output-value");
        assertThat(system.cli("workspace", "show", WS, "--json").out())
                .contains("\"greeting\"")
                .doesNotContain("s3cret-output-value");
    }

    private static TaskView run(String config) throws Exception {
        String id = system.createTask(WS, "plan_apply", config);
        system.cli("logs", id, "--follow");
        return system.show(id);
    }

    private static JsonNode state(String... versionArgs) throws Exception {
        String[] args = new String[3 + versionArgs.length];
        args[0] = "state";
        args[1] = "show";
        args[2] = WS;
        System.arraycopy(versionArgs, 0, args, 3, versionArgs.length);
        E2eHarness.CliResult r = system.cli(args);
        assertThat(r.exit()).as(r.err()).isZero();
        return WireJson.lenient().readTree(r.out());
    }
}
