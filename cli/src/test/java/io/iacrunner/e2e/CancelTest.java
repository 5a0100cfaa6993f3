package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./iac task cancel} against real Terraform whose apply runs {@code sleep 300} in a {@code local-exec}
 * provisioner. A canceled task must end {@code canceled} and leave no process behind: not Terraform, not the
 * provisioner's shell, not the {@code sleep} (found through their working directory under the agent's work dir and
 * the marker in their environment).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CancelTest {
    private static final Duration PING = Duration.ofSeconds(1);

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() {
        system = new E2eHarness(dir, PING);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void cancelWhileApplyingStopsTerraformAndItsChildrenWithinTheGrace() throws Exception {
        Duration grace = Duration.ofSeconds(10);
        String name = "graceful";
        Agent agent = system.startAgent(name, c -> c.cancelGrace(grace).drainTimeout(Duration.ZERO));
        try {
            String marker = UUID.randomUUID().toString();
            String id = startSleepingApply("cancel-graceful", marker);
            assertRunsASleep(name, marker);

            Instant asked = Instant.now();
            E2eHarness.CliResult cancel = system.cli("task", "cancel", id);
            assertThat(cancel.exit()).as(cancel.err()).isZero();
            TaskView ended = awaitEnd(id, grace.plus(PING).plusSeconds(5));
            Duration took = Duration.between(asked, Instant.now());
            System.out.println("CancelTest: graceful cancel of a real terraform apply took " + took.toMillis() + " ms");
            assertThat(ended.status()).isEqualTo(TaskStatus.CANCELED);
            assertThat(ended.message()).isNotBlank();
            assertThat(ended.logComplete())
                    .as("the lines Terraform printed while stopping were stored")
                    .isTrue();
            assertThat(took).as("Terraform stopped on SIGINT, within the grace").isLessThan(grace);
            assertNothingLeft(name, marker);
            // Terraform records the interrupted resource (tainted); the agent uploads that state.
            String versions =
                    system.server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, "cancel-graceful"));
            assertThat(versions).as("state versions").contains(id);
            assertThat(system.workspace("cancel-graceful").lock())
                    .as("a canceled apply releases its lock")
                    .isNull();
        } finally {
            agent.close();
        }
    }

    @Test
    void forceCancelKillsAtOnceATerraformThatIgnoresInterrupts() throws Exception {
        // A grace far longer than the test may wait: only the force can end this task in time.
        Duration grace = Duration.ofSeconds(120);
        String name = "forced";
        Path deaf = sigintDeafTerraform();
        Agent agent = system.startAgent(
                name, c -> c.terraform(deaf).cancelGrace(grace).drainTimeout(Duration.ZERO));
        try {
            String marker = UUID.randomUUID().toString();
            String id = startSleepingApply("cancel-forced", marker);
            assertRunsASleep(name, marker);

            Instant asked = Instant.now();
            E2eHarness.CliResult cancel = system.cli("task", "cancel", id, "--force");
            assertThat(cancel.exit()).as(cancel.err()).isZero();
            TaskView ended = awaitEnd(id, PING.plusSeconds(10));
            Duration took = Duration.between(asked, Instant.now());
            System.out.println("CancelTest: forced cancel took " + took.toMillis() + " ms");
            assertThat(ended.status()).isEqualTo(TaskStatus.CANCELED);
            assertNothingLeft(name, marker);
            // Killed mid-apply, with no state stored: what it changed is unknown, as for a lost agent.
            assertThat(system.workspace("cancel-forced").lock())
                    .as("the workspace stays locked")
                    .isNotNull()
                    .satisfies(lock -> assertThat(lock.reason()).contains("killed while applying"));
        } finally {
            agent.close();
        }
    }

    @Test
    void gracefulCancelKillsATerraformThatIgnoresTheInterruptOnceTheGraceIsOver() throws Exception {
        Duration grace = Duration.ofSeconds(5);
        String name = "grace-over";
        Path deaf = sigintDeafTerraform();
        Agent agent = system.startAgent(
                name, c -> c.terraform(deaf).cancelGrace(grace).drainTimeout(Duration.ZERO));
        try {
            String marker = UUID.randomUUID().toString();
            String id = startSleepingApply("cancel-grace-over", marker);
            assertRunsASleep(name, marker);

            Instant asked = Instant.now();
            E2eHarness.CliResult cancel = system.cli("task", "cancel", id);
            assertThat(cancel.exit()).as(cancel.err()).isZero();
            assertThat(system.show(id).cancelRequested()).isTrue();
            TaskView ended = awaitEnd(id, grace.plus(PING).plusSeconds(10));
            Duration took = Duration.between(asked, Instant.now());
            System.out.println(
                    "CancelTest: graceful cancel of a terraform deaf to SIGINT took " + took.toMillis() + " ms");
            assertThat(ended.status()).isEqualTo(TaskStatus.CANCELED);
            assertThat(took).as("the grace was given before the kill").isGreaterThanOrEqualTo(grace);
            assertNothingLeft(name, marker);
        } finally {
            agent.close();
        }
    }

    @Test
    void queuedTaskIsCanceledAtOnceAndAFinishedOneCannotBe() throws Exception {
        // No agent runs now: the task stays queued until the cancel.
        String id = system.createTask("cancel-queued", "plan", E2eHarness.printingConfig(3, null));
        assertThat(system.show(id).status()).isEqualTo(TaskStatus.QUEUED);
        E2eHarness.CliResult cancel = system.cli("task", "cancel", id);
        assertThat(cancel.exit()).as(cancel.err()).isZero();
        TaskView canceled = system.show(id);
        assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(canceled.attempt()).as("never handed to an agent").isZero();
        assertThat(canceled.finishedAt()).isNotNull();

        E2eHarness.CliResult again = system.cli("task", "cancel", id);
        assertThat(again.exit()).isEqualTo(4);
        assertThat(again.err()).contains("task_finished");
    }

    /** Queues a plan_apply whose provisioner echoes, sleeps 300 s, echoes; returns once the sleep runs. */
    private static String startSleepingApply(String workspace, String marker) throws Exception {
        String id = system.createTask(
                workspace,
                "plan_apply",
                E2eHarness.localExecConfig(marker, "echo started-" + marker + "; sleep 300; echo finished-" + marker));
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> system.show(id),
                        t -> t.phase() == TaskPhase.APPLYING
                                && E2eHarness.plain(system.logText(id)).contains("(local-exec): started-" + marker));
        return id;
    }

    private static TaskView awaitEnd(String id, Duration atMost) {
        return await().atMost(atMost)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> system.show(id), t -> t.status().isTerminal());
    }

    /** The process search must see the task's processes while it runs, or its "nothing left" would prove nothing. */
    private static void assertRunsASleep(String agent, String marker) throws Exception {
        List<TaskProcesses.Found> running = TaskProcesses.find(system.workDir(agent), marker);
        assertThat(running)
                .as("processes of the running task")
                .anySatisfy(p -> assertThat(p.command()).startsWith("sleep"));
        assertThat(running)
                .as("processes of the running task")
                .anySatisfy(p -> assertThat(p.command()).contains("terraform"));
    }

    private static void assertNothingLeft(String agent, String marker) throws Exception {
        Path work = system.workDir(agent);
        // The agent reports after the kill; the kernel may need a moment to tear the killed processes down.
        await().atMost(Duration.ofSeconds(3))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(TaskProcesses.find(work, marker))
                        .as("processes left by the task")
                        .isEmpty());
    }

    /**
     * A test double, {@code sigint-deaf-terraform}: a shell that ignores SIGINT and runs the real Terraform as its
     * child. The agent's SIGINT reaches only the shell, so Terraform never hears it, as with a Terraform that hangs.
     */
    private static Path sigintDeafTerraform() throws Exception {
        return system.terraformDouble("sigint-deaf-terraform", "trap '' INT", false);
    }
}
