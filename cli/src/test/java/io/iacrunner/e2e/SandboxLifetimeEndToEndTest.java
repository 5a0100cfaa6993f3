package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceView;
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
 * How long a sandboxed run's processes live, judged from the process tree: not past the agent (SIGKILL included),
 * not past a cancel (double-forked ones included), not past the run's max_run_time.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SandboxLifetimeEndToEndTest {
    @TempDir
    static Path dir;
    /** One server for the three tests; each stops its agent before it ends, so none claims another's task. */
    static E2eHarness system;

    @BeforeAll
    static void start() {
        system = new E2eHarness(dir);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    /** An apply whose provisioner double-forks a sleep (re-parented away from Terraform) and then sleeps itself. */
    static String doubleForkingApply(String marker) {
        return E2eHarness.localExecConfig(
                marker, "(sleep 300 >/dev/null 2>&1 &) ; echo started-" + marker + "; sleep 300");
    }

    /** Waits until the apply runs its sleeps; returns what the process search then finds (it must see them). */
    static List<TaskProcesses.Found> awaitSleeping(String id, Path work, String marker) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> system.show(id),
                        t -> t.phase() == TaskPhase.APPLYING
                                && E2eHarness.plain(system.logText(id)).contains("(local-exec): started-" + marker));
        return await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () -> TaskProcesses.find(work, marker),
                        found -> found.stream()
                                        .filter(f -> f.command().startsWith("sleep 300"))
                                        .count()
                                == 2);
    }

    static void assertNothingLeft(Path work, String marker) {
        await("no process of the run left")
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(
                        () -> assertThat(TaskProcesses.find(work, marker)).isEmpty());
    }

    @Test
    void anAgentKilledWithSigkillMidApplyLeavesNoTerraformOrProvisionerProcessBehind() throws Exception {
        var doomed = system.startAgentProcess("doomed");
        String marker = UUID.randomUUID().toString();
        String id = system.createTask("killed-mid-apply", "plan_apply", doubleForkingApply(marker));
        List<TaskProcesses.Found> running = awaitSleeping(id, doomed.workDir(), marker);
        assertThat(running)
                .as("the run's processes, found while it runs")
                .anySatisfy(p -> assertThat(p.command()).contains("terraform"));

        Instant killed = Instant.now();
        doomed.kill();
        assertNothingLeft(doomed.workDir(), marker);
        System.out.println("SandboxLifetimeEndToEndTest: the run's " + running.size() + " processes were gone "
                + Duration.between(killed, Instant.now()).toMillis() + " ms after the agent's SIGKILL");
    }

    @Test
    void aCancelEndsEveryProcessOfTheRunDoubleForkedOnesIncluded() throws Exception {
        Agent agent = system.startAgent(
                "canceler", c -> c.cancelGrace(Duration.ofSeconds(10)).drainTimeout(Duration.ZERO));
        try {
            Path work = system.workDir("canceler");
            String marker = UUID.randomUUID().toString();
            String id = system.createTask("canceled-tree", "plan_apply", doubleForkingApply(marker));
            List<TaskProcesses.Found> running = awaitSleeping(id, work, marker);

            // The double-forked sleep is outside Terraform's subtree: re-parented to the sandbox's init, not to
            // Terraform.
            ProcessHandle terraform = running.stream()
                    .filter(f -> f.command().startsWith(E2eHarness.terraform() + " apply"))
                    .findFirst()
                    .flatMap(f -> ProcessHandle.of(f.pid()))
                    .orElseThrow();
            List<ProcessHandle> sleeps = running.stream()
                    .filter(f -> f.command().startsWith("sleep 300"))
                    .flatMap(f -> ProcessHandle.of(f.pid()).stream())
                    .toList();
            assertThat(sleeps)
                    .as("one sleep is Terraform's descendant, the double-forked one is not")
                    .anySatisfy(s -> assertThat(terraform.descendants()).doesNotContain(s))
                    .anySatisfy(s -> assertThat(terraform.descendants()).contains(s));
            ProcessHandle orphan = sleeps.stream()
                    .filter(s -> terraform.descendants().noneMatch(s::equals))
                    .findFirst()
                    .orElseThrow();
            assertThat(orphan.parent().flatMap(p -> p.info().command()))
                    .as("its parent, the sandbox's init")
                    .hasValueSatisfying(c -> assertThat(c).endsWith("bwrap"));

            E2eHarness.CliResult cancel = system.cli("task", "cancel", id);
            assertThat(cancel.exit()).as(cancel.err()).isZero();
            TaskView ended = await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> system.show(id), t -> t.status().isTerminal());
            assertThat(ended.status()).isEqualTo(TaskStatus.CANCELED);
            assertNothingLeft(work, marker);
            assertThat(orphan.isAlive()).isFalse();
        } finally {
            agent.close();
        }
    }

    @Test
    void aRunPastItsWorkspacesMaxRunTimeEndsErroredWithItsProcessesGoneAndTheLockKeptAsForAnyErroredApply()
            throws Exception {
        E2eHarness.CliResult set = system.cli("workspace", "set", "timed", "--max-run-time", "12s");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).contains("max_run_time 12s");
        Agent agent = system.startAgent(
                "timer", c -> c.cancelGrace(Duration.ofSeconds(10)).drainTimeout(Duration.ZERO));
        try {
            Path work = system.workDir("timer");
            String marker = UUID.randomUUID().toString();
            String id = system.createTask("timed", "plan_apply", doubleForkingApply(marker));
            awaitSleeping(id, work, marker);

            TaskView ended = await().atMost(Duration.ofSeconds(40))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> system.show(id), t -> t.status().isTerminal());
            assertThat(ended.status()).isEqualTo(TaskStatus.ERRORED);
            assertThat(ended.message())
                    .isEqualTo("timed out after 12s (its max_run_time): stopped during terraform apply");
            assertThat(Duration.between(ended.startedAt(), ended.finishedAt()))
                    .isBetween(Duration.ofSeconds(12), Duration.ofSeconds(25));
            assertThat(E2eHarness.plain(system.logText(id)))
                    .contains("timed out after 12s: the run's max_run_time (12s) is over", "Interrupt received");
            assertNothingLeft(work, marker);

            WorkspaceView locked = system.workspace("timed");
            assertThat(locked.lock())
                    .as("errored while applying: the lock stays until someone looks")
                    .isNotNull();
            assertThat(locked.lock().taskId()).isEqualTo(id);
            assertThat(locked.lock().reason()).contains("errored while applying", "timed out after 12s");
            assertThat(system.server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, "timed")))
                    .as("the interrupted apply's state was stored")
                    .contains(id);
            E2eHarness.CliResult unlock = system.cli("workspace", "unlock", "timed", "--force");
            assertThat(unlock.exit()).as(unlock.err()).isZero();
        } finally {
            agent.close();
        }
    }
}
