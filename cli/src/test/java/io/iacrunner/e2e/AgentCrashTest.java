package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents killed with SIGKILL (child JVMs running the real {@code iac agent} and real Terraform), against a server
 * whose ping interval is 1 s, so the lease is 3 s.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class AgentCrashTest {
    private static final Duration PING = Duration.ofSeconds(1);
    private static final Duration LEASE = PING.multipliedBy(3);
    /** The lease, one recovery round, and room for a busy two-core machine. */
    private static final Duration DETECTION = LEASE.plus(PING).plusSeconds(10);

    @TempDir
    Path dir;

    @Test
    void agentKilledWhileApplyingLeavesTheApplyWaitedForAndTheWorkspaceLockedUntilAForcedUnlockGivesItUp()
            throws Exception {
        try (E2eHarness system = new E2eHarness(dir, PING)) {
            String ws = "crash-apply";
            String marker = UUID.randomUUID().toString();
            var doomed = system.startAgentProcess("doomed-applier");
            String first = system.createTask(
                    ws,
                    "plan_apply",
                    E2eHarness.localExecConfig(
                            marker, "echo started-" + marker + "; sleep 60; echo finished-" + marker));
            TaskView applying = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(
                            () -> system.show(first),
                            t -> t.phase() == TaskPhase.APPLYING
                                    && E2eHarness.plain(system.logText(first))
                                            .contains("(local-exec): started-" + marker));
            assertThat(applying.agentId()).isEqualTo(doomed.agentId());
            assertThat(E2eHarness.plain(system.logText(first))).contains("Provisioning with 'local-exec'");
            assertThat(system.workspace(ws).lock())
                    .as("the running apply holds the lock")
                    .isNotNull();

            Agent survivor = system.startAgent("survivor");
            String second = system.createTask(ws, "plan_apply", E2eHarness.printingConfig(3, null));

            doomed.kill();
            Instant killedAt = Instant.now();
            // The server cannot tell a dead agent from one out of reach: the apply is waited for, never re-run.
            TaskView waiting = await().atMost(DETECTION)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> system.show(first), t -> t.agentUnreachableSince() != null);
            Duration detectedAfter = Duration.between(killedAt, Instant.now());
            System.out.println(
                    "AgentCrashTest: lost apply waited for " + detectedAfter.toMillis() + " ms after SIGKILL");
            assertThat(waiting.status())
                    .as("an apply that may have changed resources is never re-run")
                    .isEqualTo(TaskStatus.RUNNING);
            assertThat(waiting.attempt()).isEqualTo(1);
            assertThat(waiting.message()).contains("unreachable");
            WorkspaceView locked = system.workspace(ws);
            assertThat(locked.lock()).as("the workspace stays locked").isNotNull();
            assertThat(locked.lock().taskId()).isEqualTo(first);
            assertThat(locked.lock().reason()).contains("unreachable");

            // The survivor is alive and working (it runs a plan elsewhere), yet the newer apply stays queued.
            String elsewhere = system.createTask("crash-elsewhere", "plan", E2eHarness.printingConfig(3, null));
            TaskView planned = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> system.show(elsewhere), t -> t.status().isTerminal());
            assertThat(planned.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(planned.agentId()).isEqualTo(survivor.agentId());
            // Real time is the point: a whole lease of a real agent's pings and pulls passes without the apply moving.
            Thread.sleep(LEASE.toMillis());
            assertThat(system.show(second).status())
                    .as("a newer plan_apply waits for the unlock")
                    .isEqualTo(TaskStatus.QUEUED);
            AgentView idle = system.server.admin().get(ApiPaths.AGENTS, AgentList.class).agents().stream()
                    .filter(a -> a.agentId().equals(survivor.agentId()))
                    .findFirst()
                    .orElseThrow();
            assertThat(idle.status()).isEqualTo("idle");
            assertThat(system.workspace(ws).lock()).isNotNull();

            E2eHarness.CliResult unlock = system.cli("workspace", "unlock", ws, "--force");
            assertThat(unlock.exit()).as(unlock.err()).isZero();
            TaskView errored = system.show(first);
            assertThat(errored.status()).as("given up by the forced unlock").isEqualTo(TaskStatus.ERRORED);
            assertThat(errored.message()).contains("unlocked with --force");
            TaskView done = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> system.show(second), t -> t.status().isTerminal());
            assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.agentId()).isEqualTo(survivor.agentId());
            assertThat(done.startedAt()).isAfter(errored.finishedAt());
            assertThat(system.workspace(ws).lock()).isNull();
            assertThat(system.show(first).status()).isEqualTo(TaskStatus.ERRORED);
        }
    }

    @Test
    void agentKilledWhilePlanningHasThePlanRetriedOnAnotherAgent() throws Exception {
        try (E2eHarness system = new E2eHarness(dir, PING)) {
            // The real Terraform, except that its plan starts 20 s late: time to kill the agent mid-plan.
            Path slowPlan = system.terraformDouble(
                    "slow-plan-terraform",
                    "if [ \"$1\" = plan ]; then echo 'slow-plan-terraform: plan starts in 20 s'; sleep 20; fi",
                    true);
            var doomed = system.startAgentProcess("doomed-planner", "--terraform", slowPlan.toString());
            String plan = system.createTask("crash-plan", "plan", E2eHarness.printingConfig(3, null));
            TaskView planning = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(
                            () -> system.show(plan),
                            t -> t.status() == TaskStatus.RUNNING
                                    && system.logText(plan).contains("slow-plan-terraform: plan starts in 20 s"));
            assertThat(planning.agentId()).isEqualTo(doomed.agentId());
            assertThat(planning.attempt()).isEqualTo(1);
            assertThat(planning.phase()).isEqualTo(TaskPhase.PLANNING);

            Agent survivor = system.startAgent("planner");
            doomed.kill();
            TaskView done = await().atMost(DETECTION.plusSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> system.show(plan), t -> t.status().isTerminal());
            assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).as("the lost plan ran again").isEqualTo(2);
            assertThat(done.agentId()).isEqualTo(survivor.agentId()).isNotEqualTo(doomed.agentId());
            assertThat(done.logComplete()).isTrue();
            String log = E2eHarness.plain(system.logText(plan));
            assertThat(log).contains("Plan: 1 to add").doesNotContain("slow-plan-terraform");

            // Both attempts stay readable, each whole: through the CLI and the API.
            E2eHarness.CliResult first = system.cli("logs", plan, "--attempt", "1");
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.out())
                    .contains("slow-plan-terraform: plan starts in 20 s")
                    .doesNotContain("Plan: 1 to add");
            assertThat(system.server.admin().getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, plan) + "?attempt=1"))
                    .contains("slow-plan-terraform: plan starts in 20 s")
                    .doesNotContain("Plan: 1 to add");
            E2eHarness.CliResult second = system.cli("logs", plan, "--attempt", "2");
            assertThat(second.exit()).as(second.err()).isZero();
            assertThat(E2eHarness.plain(second.out()))
                    .contains("Plan: 1 to add")
                    .doesNotContain("slow-plan-terraform");
        }
    }
}
