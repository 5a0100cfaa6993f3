package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent hooks with the real server, agent (sandboxed) and Terraform: a failing {@code pre-apply} hook fails the run
 * before {@code terraform apply} starts, so no state changes, and the hooks' lines are in the stored log and in its
 * replay as a viewer gets it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HooksEndToEndTest {
    @TempDir
    Path dir;

    private static void hook(Path hooks, String name, String script) throws Exception {
        Path hook = Files.writeString(hooks.resolve(name), "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-x---"));
    }

    @Test
    void aFailingPreApplyHookFailsTheRunBeforeTheApplyAndTheHooksLinesAreInTheLogAndItsReplay() throws Exception {
        Path hooks = Files.createDirectories(dir.resolve("hooks"));
        hook(hooks, "pre-plan", "echo \"checking $IAC_WORKSPACE_ID before its plan\"");
        hook(hooks, "pre-apply", "echo 'change freeze: no applies today' >&2; exit 7");
        try (E2eHarness system = new E2eHarness(dir)) {
            system.startAgent("hooked", c -> c.hooksDir(hooks));
            String marker = "hooks-" + System.nanoTime();
            String id = system.createTask(
                    "hooked", "plan_apply", E2eHarness.localExecConfig(marker, "echo applied-" + marker));

            E2eHarness.CliResult replay = system.cli("logs", id, "--follow");
            TaskView done = system.show(id);

            assertThat(done.status()).as(replay.out()).isEqualTo(TaskStatus.FAILED);
            assertThat(done.exitCode()).isEqualTo(7);
            assertThat(done.message()).isEqualTo("the pre-apply hook exited with code 7");
            assertThat(done.logComplete()).isTrue();
            WorkspaceView workspace = system.workspace("hooked");
            assertThat(workspace.currentStateVersion())
                    .as("apply never ran: no state")
                    .isNull();
            assertThat(workspace.lock()).as("a failed run releases the lock").isNull();
            for (String log : new String[] {E2eHarness.plain(system.logText(id)), E2eHarness.plain(replay.out())}) {
                assertThat(log)
                        .contains(
                                "[pre-plan hook] checking hooked before its plan",
                                "[pre-apply hook] change freeze: no applies today",
                                "the pre-apply hook exited with code 7: the run fails here, before terraform apply",
                                "Plan: 1 to add");
                assertThat(log).doesNotContain("applied-" + marker, "Apply complete");
            }
        }
    }
}
