package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Terraform's own CLI, the real 1.11 binary unmodified, with {@code backend "http"} configured from {@code ./iac
 * workspace show WS --json}: local applies store state versions, local runs and platform applies take turns on the one
 * workspace lock, {@code state push} follows the serial rules, {@code force-unlock} is for admins, and a wrong token
 * gets Terraform's own error and changes nothing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TerraformHttpBackendEndToEndTest {
    private static final Duration RUN = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
        system.startAgent("http-backend");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    /** What one Terraform command ended with, its output and errors together, without colours. */
    record Run(int exit, String output) {}

    /** A directory of Terraform configuration using the workspace's http backend, as a person sets it up. */
    record Desk(Path path, String workspace) {
        Run terraform(String token, String... args) throws Exception {
            Process p = start(token, args);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("terraform " + String.join(" ", args) + " did not finish");
            }
            return new Run(p.exitValue(), Files.readString(log(args)));
        }

        Process start(String token, String... args) throws IOException {
            List<String> command =
                    new ArrayList<>(List.of(E2eHarness.terraform().toString()));
            command.addAll(List.of(args));
            ProcessBuilder b = new ProcessBuilder(command)
                    .directory(path.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log(args).toFile());
            Map<String, String> env = b.environment();
            env.clear();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("HOME", path.toString());
            env.put(
                    "TF_CLI_CONFIG_FILE",
                    Files.writeString(path.resolve("cli.tfrc"), "").toString());
            env.put("TF_IN_AUTOMATION", "1");
            env.put("TF_INPUT", "0");
            env.put("CHECKPOINT_DISABLE", "1");
            env.put("NO_COLOR", "1");
            // As the docs say: any user name (Terraform sends basic auth only with one), a token as the password.
            env.put("TF_HTTP_USERNAME", "iac");
            env.put("TF_HTTP_PASSWORD", token);
            return b.start();
        }

        private Path log(String... args) {
            return path.resolve("terraform-" + args[0] + ".log");
        }

        void config(String hcl) throws IOException {
            Files.writeString(path.resolve("main.tf"), "terraform {\n  backend \"http\" {}\n}\n" + hcl);
        }
    }

    /** A fresh desk for {@code workspace}: its backend settings taken from {@code ./iac workspace show --json}. */
    static Desk desk(String workspace, String hcl) throws Exception {
        if (system.cli("workspace", "show", workspace).exit() != 0) {
            assertThat(system.cli("workspace", "set", workspace, "--max-run-time", "10m")
                            .exit())
                    .isZero();
        }
        E2eHarness.CliResult shown = system.cli("workspace", "show", workspace, "--json");
        assertThat(shown.exit()).as(shown.err()).isZero();
        JsonNode backend = WireJson.lenient().readTree(shown.out()).path("http_backend");
        Path path = Files.createDirectories(dir.resolve("desk-" + workspace + "-" + UUID.randomUUID()));
        StringBuilder settings = new StringBuilder();
        for (String key : List.of("address", "lock_address", "unlock_address", "lock_method", "unlock_method"))
            settings.append(key)
                    .append(" = \"")
                    .append(backend.path(key).asText())
                    .append("\"\n");
        Files.writeString(path.resolve("backend.hcl"), settings);
        Desk desk = new Desk(path, workspace);
        desk.config(hcl);
        return desk;
    }

    static String data(String name, String input) {
        return "resource \"terraform_data\" \"" + name + "\" {\n  input = \"" + input + "\"\n}\n";
    }

    /** A resource whose creation waits until {@code gate} exists (at most 90 s). */
    static String waiting(String name, Path gate) {
        return "resource \"terraform_data\" \"" + name + "\" {\n  provisioner \"local-exec\" {\n    command = \"n=0;"
                + " while [ ! -e '" + gate + "' ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n+1)); done\"\n  }\n}\n";
    }

    static Run init(Desk desk, String token) throws Exception {
        Run init = desk.terraform(token, "init", "-no-color", "-backend-config=backend.hcl");
        assertThat(init.exit()).as(init.output()).isZero();
        return init;
    }

    static List<StateVersionView> versions(String workspace) throws Exception {
        E2eHarness.CliResult r = system.cli("state", "versions", workspace, "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        return List.of(WireJson.lenient().readValue(r.out(), StateVersionView[].class));
    }

    /** The {@code input} of the state's first {@code terraform_data} resource. */
    static String input(JsonNode state) {
        return state.at("/resources/0/instances/0/attributes/input/value").asText();
    }

    static WorkspaceView.Lock lock(String workspace) {
        return system.workspace(workspace).lock();
    }

    @Test
    void localAppliesStoreEachStateAsAVersionThatStateVersionsLists() throws Exception {
        String ws = "tf-local";
        String token = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, data("hello", "one"));
        init(desk, token);
        Run first = desk.terraform(token, "apply", "-no-color", "-auto-approve");
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("Apply complete! Resources: 1 added");
        desk.config(data("hello", "two"));
        Run second = desk.terraform(token, "apply", "-no-color", "-auto-approve");
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("0 added, 1 changed, 0 destroyed");

        List<StateVersionView> versions = versions(ws);
        assertThat(versions).extracting(StateVersionView::version).containsExactly(2, 1);
        assertThat(versions).allSatisfy(v -> {
            assertThat(v.taskId()).isNull();
            assertThat(v.pushedBy()).contains("tok-");
        });
        assertThat(versions.get(0).serial()).isGreaterThan(versions.get(1).serial());
        E2eHarness.CliResult table = system.cli("state", "versions", ws);
        assertThat(table.out()).contains("pushed by");
        assertThat(lock(ws)).as("each run released its lock").isNull();

        E2eHarness.CliResult stored = system.cli("state", "show", ws);
        JsonNode state = WireJson.lenient().readTree(stored.out());
        assertThat(input(state)).isEqualTo("two");
        Run pulled = desk.terraform(token, "state", "pull");
        assertThat(WireJson.lenient().readTree(pulled.output()).path("serial").asLong())
                .isEqualTo(versions.get(0).serial());
    }

    @Test
    void aLocalApplyMeetsARunningPlatformApplysLockNamingItsTask() throws Exception {
        String ws = "tf-platform-holds";
        Path gate = system.shared().resolve("gate-" + UUID.randomUUID());
        String task = system.createTask(
                ws,
                "plan_apply",
                E2eHarness.localExecConfig("held", "while [ ! -e '" + gate + "' ]; do sleep 0.1; done"));
        await("the platform apply is applying")
                .atMost(RUN)
                .until(() -> system.show(task), t -> t.phase() == TaskPhase.APPLYING);
        String token = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, data("mine", "x"));
        try {
            init(desk, token);
            Run refused = desk.terraform(token, "apply", "-no-color", "-auto-approve");
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.output())
                    .contains("Error acquiring the state lock")
                    .contains("HTTP remote state already locked: ID=" + task);
        } finally {
            Files.writeString(gate, "go");
        }
        TaskView done = await("the platform apply ends")
                .atMost(RUN)
                .until(() -> system.show(task), t -> t.status().isTerminal());
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(versions(ws)).extracting(StateVersionView::taskId).containsExactly(task);

        Run after = desk.terraform(token, "apply", "-no-color", "-auto-approve");
        assertThat(after.exit()).as("the lock is free again: " + after.output()).isZero();
        assertThat(versions(ws)).extracting(StateVersionView::version).containsExactly(2, 1);
    }

    @Test
    void aPlatformApplyQueuedWhileALocalRunHoldsTheLockWaitsThenRuns() throws Exception {
        String ws = "tf-local-holds";
        Path gate = dir.resolve("local-gate-" + UUID.randomUUID());
        String token = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, waiting("slow", gate));
        init(desk, token);
        Process local = desk.start(token, "apply", "-no-color", "-auto-approve");
        String task;
        try {
            await("the local run holds the lock")
                    .atMost(RUN)
                    .until(() -> lock(ws), l -> l != null && l.terraformLockId() != null);
            task = system.createTask(ws, "plan_apply", E2eHarness.localExecConfig("after", "echo platform"));
            // Real time is the point: the agent pulls every few seconds, and must leave the apply queued meanwhile.
            await("the platform apply stays queued")
                    .during(Duration.ofSeconds(6))
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> system.show(task).status() == TaskStatus.QUEUED);
        } finally {
            Files.writeString(gate, "go");
        }
        assertThat(local.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(local.exitValue()).isZero();
        TaskView done = await("the platform apply runs once the lock is released")
                .atMost(RUN)
                .until(() -> system.show(task), t -> t.status().isTerminal());
        assertThat(done.status()).as(system.logText(task)).isEqualTo(TaskStatus.SUCCEEDED);
        List<StateVersionView> versions = versions(ws);
        assertThat(versions).extracting(StateVersionView::taskId).containsExactly(task, null);
        assertThat(versions.get(0).lineage())
                .as("the platform apply went on from the local run's state")
                .isEqualTo(versions.get(1).lineage());
    }

    @Test
    void statePushImportsAStateAndRefusesAnOlderSerial() throws Exception {
        String ws = "tf-push";
        String token = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, data("pushed", "a"));
        init(desk, token);
        assertThat(desk.terraform(token, "apply", "-no-color", "-auto-approve").exit())
                .isZero();
        Run pulled = desk.terraform(token, "state", "pull");
        Path old = Files.writeString(dir.resolve("old-" + ws + ".tfstate"), pulled.output());
        desk.config(data("pushed", "b"));
        assertThat(desk.terraform(token, "apply", "-no-color", "-auto-approve").exit())
                .isZero();
        List<StateVersionView> before = versions(ws);

        E2eHarness.CliResult refused = system.cli("state", "push", ws, old.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("is not above the current serial");
        Run own = desk.terraform(token, "state", "push", "-no-color", old.toString());
        assertThat(own.exit()).as("Terraform refuses it itself").isNotZero();
        Run forced = desk.terraform(token, "state", "push", "-no-color", "-force", old.toString());
        assertThat(forced.exit()).isNotZero();
        assertThat(forced.output()).contains("HTTP error: 409");
        assertThat(versions(ws)).as("nothing stored").isEqualTo(before);

        // Importing an existing state into a new workspace is one push, by either client.
        E2eHarness.CliResult imported = system.cli("state", "push", "tf-push-import", old.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(versions("tf-push-import")).hasSize(1);
        Desk other = desk("tf-push-terraform", data("pushed", "a"));
        String otherToken = system.server.userToken(Role.APPLY, "tf-push-terraform");
        init(other, otherToken);
        Run push = other.terraform(otherToken, "state", "push", "-no-color", old.toString());
        assertThat(push.exit()).as(push.output()).isZero();
        assertThat(versions("tf-push-terraform")).hasSize(1);
        JsonNode imported2 = WireJson.lenient()
                .readTree(system.cli("state", "show", "tf-push-terraform").out());
        assertThat(input(imported2)).as("the pushed file's resources").isEqualTo("a");
    }

    @Test
    void aLockLeftByAKilledRunIsForceUnlockedByAnAdminOnly() throws Exception {
        String ws = "tf-force";
        Path gate = dir.resolve("never-" + UUID.randomUUID());
        String token = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, waiting("stuck", gate));
        init(desk, token);
        Process local = desk.start(token, "apply", "-no-color", "-auto-approve");
        String lockId = await("the local run holds the lock")
                .atMost(RUN)
                .until(() -> lock(ws), l -> l != null && l.terraformLockId() != null)
                .terraformLockId();
        local.descendants().forEach(ProcessHandle::destroyForcibly);
        local.destroyForcibly();
        assertThat(local.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(lock(ws).terraformLockId())
                .as("a killed run leaves its lock")
                .isEqualTo(lockId);

        Run notAdmin = desk.terraform(token, "force-unlock", "-no-color", "-force", lockId);
        assertThat(notAdmin.exit()).isNotZero();
        assertThat(notAdmin.output()).contains("403");
        assertThat(lock(ws).terraformLockId()).isEqualTo(lockId);

        String admin = system.server.userToken(Role.ADMIN, ws);
        Run unlocked = desk.terraform(admin, "force-unlock", "-no-color", "-force", lockId);
        assertThat(unlocked.exit()).as(unlocked.output()).isZero();
        assertThat(unlocked.output()).contains("Terraform state has been successfully unlocked!");
        assertThat(lock(ws)).isNull();
    }

    @Test
    void aWrongTokenOrOneWithoutTheRoleGetsTerraformsOwnErrorAndChangesNothing() throws Exception {
        String ws = "tf-denied";
        String apply = system.server.userToken(Role.APPLY, ws);
        Desk desk = desk(ws, data("guarded", "a"));
        init(desk, apply);
        assertThat(desk.terraform(apply, "apply", "-no-color", "-auto-approve").exit())
                .isZero();
        desk.config(data("guarded", "b"));
        List<StateVersionView> before = versions(ws);

        Run garbage = desk.terraform("not-a-token", "apply", "-no-color", "-auto-approve");
        assertThat(garbage.exit()).isNotZero();
        assertThat(garbage.output()).contains("HTTP remote state endpoint requires auth");
        Run readOnly = desk.terraform(system.server.userToken(Role.READ, ws), "apply", "-no-color", "-auto-approve");
        assertThat(readOnly.exit()).isNotZero();
        assertThat(readOnly.output()).contains("HTTP remote state endpoint invalid auth");
        Run elsewhere = desk.terraform(
                system.server.userToken(Role.ADMIN, "tf-elsewhere"), "apply", "-no-color", "-auto-approve");
        assertThat(elsewhere.exit()).isNotZero();
        assertThat(elsewhere.output()).contains("HTTP remote state endpoint invalid auth");

        assertThat(versions(ws)).as("nothing stored").isEqualTo(before);
        assertThat(lock(ws)).as("no lock left").isNull();
        assertThat(new String(Files.readAllBytes(desk.path().resolve("main.tf")), StandardCharsets.UTF_8))
                .contains("\"b\"");
    }
}
