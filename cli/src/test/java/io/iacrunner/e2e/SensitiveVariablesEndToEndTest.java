package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.SensitiveValues;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.RawBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sensitive workspace variable, set with the CLI and used by real Terraform: the run gets its value, and the value
 * is nowhere else. Every place is searched as raw bytes: the database's files (WAL included), each API response,
 * each CLI output, the agent's work directory after the run. A plain variable set the same way is found in each of
 * those searches where it belongs, so an empty search means absent, not a search that cannot find anything.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SensitiveVariablesEndToEndTest {
    static final String SECRET = "pw-SensitiveVariablesE2E-91c4f0e7";
    static final String PLAIN = "region-SensitiveVariablesE2E-2b7d";
    static final String WS = "secret-ws";

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
        system.startAgent("secrets");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void aSensitiveValueReachesTerraformAndNothingElse() throws Exception {
        List<String> cliOutput = new ArrayList<>();
        Path secretFile = system.file("secret.txt", SECRET + "\n");
        cliOutput.add(
                ok(system.cli("var", "set", WS, "db_password", "--value-file", secretFile.toString(), "--sensitive")));
        cliOutput.add(ok(system.cli("var", "set", WS, "region", PLAIN)));
        String version = terraformVersion();
        cliOutput.add(ok(system.cli("workspace", "set", WS, "--terraform-version", version)));

        // Not marked sensitive in the configuration, so Terraform prints it and only the agent's masking hides it.
        String id = system.createTask(WS, "plan_apply", """
                {
                  "variable": {"db_password": {"type": "string"}, "region": {"type": "string"}},
                  "resource": {"terraform_data": {"x": {"provisioner": [{"local-exec": {
                    "command": "echo \\"password is $PW\\"; echo \\"region is $REGION\\"; echo \\"vars mode $(stat -c %a terraform.tfvars.json)\\"",
                    "environment": {"PW": "${var.db_password}", "REGION": "${var.region}"}}}]}}}
                }""");
        cliOutput.add(ok(system.cli("logs", id, "--follow")));
        TaskView done = system.show(id);
        assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.terraformVersion())
                .as("the workspace's version, filled in")
                .isEqualTo(version);

        String log = E2eHarness.plain(system.logText(id));
        assertThat(log).contains("password is " + SensitiveValues.MASK, "region is " + PLAIN, "vars mode 600");

        cliOutput.add(ok(system.cli("var", "list", WS)));
        cliOutput.add(ok(system.cli("var", "list", WS, "--json")));
        cliOutput.add(ok(system.cli("task", "show", id, "--json")));
        cliOutput.add(ok(system.cli("task", "show", id)));
        cliOutput.add(ok(system.cli("workspace", "show", WS)));
        cliOutput.add(ok(system.cli("workspace", "show", WS, "--json")));
        cliOutput.add(ok(system.cli("logs", id)));
        String allCli = String.join("\n", cliOutput);
        assertThat(allCli).contains(PLAIN).doesNotContain(SECRET);

        List<String> apiResponses = Stream.of(
                        ApiPaths.fill(ApiPaths.TASK, id),
                        ApiPaths.fill(ApiPaths.TASK_LOGS, id),
                        ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id),
                        ApiPaths.fill(ApiPaths.WORKSPACE, WS),
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, WS),
                        ApiPaths.fill(ApiPaths.WORKSPACE_STATE, WS),
                        ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, WS),
                        ApiPaths.TASKS + "?workspace=" + WS,
                        ApiPaths.AGENTS)
                .map(path -> system.server.admin().getText(path))
                .toList();
        assertThat(String.join("\n", apiResponses)).contains(PLAIN).doesNotContain(SECRET);

        Path database = system.server.dataDir().resolve("pg");
        assertThat(RawBytes.filesContaining(database, PLAIN))
                .as("plain values are found in the database files")
                .isNotEmpty();
        assertThat(RawBytes.filesContaining(database, SECRET))
                .as("database files holding the sensitive value")
                .isEmpty();
        assertThat(RawBytes.filesContaining(system.workDir("secrets"), SECRET))
                .as("agent files holding it after the run")
                .isEmpty();
    }

    private static String ok(E2eHarness.CliResult r) {
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out() + r.err();
    }

    private static String terraformVersion() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(E2eHarness.terraform().toString(), "version", "-json")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return WireJson.lenient()
                .readTree(out.substring(out.indexOf('{')))
                .path("terraform_version")
                .asText();
    }
}
