package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.ServerProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server (a child JVM) is killed with SIGKILL in the middle of a plan_apply and started again on the same data
 * dir and port. The agent in this JVM keeps its Terraform running, holds the lines it could not ship, and resends
 * them once the server is back: the task succeeds and its stored log has every line once, in order.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ServerRestartTest {
    /**
     * The server's ping interval. The lease (three of them) must outlast the restart: the server judges leases by
     * the database clock, and its downtime counts as silence of every agent.
     */
    private static final Duration PING = Duration.ofSeconds(10);
    private static final int LINES = 30;

    @TempDir
    Path dir;

    @Test
    void serverKilledMidApplyComesBackAndTheTaskSucceedsWithEveryLineOnceInOrder() throws Exception {
        Path data = dir.resolve("data");
        Path work = dir.resolve("agent");
        int port = ServerProcess.freePort();
        URI url = URI.create("http://127.0.0.1:" + port);
        Process first = ServerProcess.launch(data, dir.resolve("server-1.log"), port, PING);
        Process second = null;
        Agent agent = null;
        try {
            awaitReady(first, dir.resolve("server-1.log"));
            String adminToken = Files.readString(data.resolve("admin.token")).trim();
            ApiClient admin = new ApiClient(url, () -> adminToken);
            agent = new Agent(AgentConfig.of(url, data.resolve("agent.token")).withName("restart").withWorkDir(work)
                    .withTerraform(E2eHarness.terraform()).withPullWait(Duration.ofSeconds(5)).withDrainTimeout(Duration.ZERO));
            agent.start();

            // LINES numbered lines, half a second apart: the apply prints for about 15 s.
            ObjectNode config = (ObjectNode) WireJson.lenient().readTree(E2eHarness.printingConfig(LINES, "0.5"));
            String id = admin.post(ApiPaths.TASKS, new CreateTaskRequest("restart-ws", TaskAction.PLAN_APPLY, config, null, null, null),
                    TaskView.class).taskId();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> E2eHarness.numberedLines(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id))).size() >= 5);

            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Instant killed = Instant.now();
            second = ServerProcess.launch(data, dir.resolve("server-2.log"), port, PING);
            awaitReady(second, dir.resolve("server-2.log"));
            System.out.println("ServerRestartTest: the server was down for " + Duration.between(killed, Instant.now()).toMillis() + " ms");

            TaskView done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> admin.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class), t -> t.status().isTerminal());
            String log = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id));
            assertThat(done.status()).as(log).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).as("the same attempt, never handed elsewhere").isEqualTo(1);
            assertThat(E2eHarness.numberedLines(log)).as("every line once, in order")
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, LINES).boxed().toList());
            assertThat(log.lines().count()).isEqualTo(done.logLines());
            assertThat(done.logComplete()).isTrue();
            assertThat(E2eHarness.plain(log)).contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
            assertThat(admin.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "restart-ws"))).contains("terraform_data");
        } finally {
            if (agent != null) agent.close();
            for (Process p : new Process[] {first, second}) {
                if (p == null) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            }
            List<TaskProcesses.Found> left = TaskProcesses.kill(work, null);
            if (!left.isEmpty()) System.err.println("ServerRestartTest: killed leftovers " + left);
            stopLeftoverPostmaster(data);
        }
    }

    /** A server killed with SIGKILL leaves its PostgreSQL running; the next start would stop it, but there is none. */
    private static void stopLeftoverPostmaster(Path data) throws Exception {
        Path pid = data.resolve("pg/postmaster.pid");
        if (!Files.exists(pid)) return;
        ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).getFirst().trim())).ifPresent(p -> {
            p.destroy();
            p.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> p).join();
        });
    }

    private static void awaitReady(Process process, Path log) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) throw new AssertionError("server exited: " + Files.readString(log));
            return Files.readAllLines(log).stream().filter(l -> l.startsWith(ServerProcess.READY)).findFirst();
        }, Optional::isPresent);
    }
}
