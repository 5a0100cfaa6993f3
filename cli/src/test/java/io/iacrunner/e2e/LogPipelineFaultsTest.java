package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.CuttingProxy;
import io.iacrunner.server.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log pipeline under faults, with real Terraform: the server killed with SIGKILL mid-apply and started again 30 s
 * later (twice the lease agents had before, with today's defaults: queued and running work survives, the agent
 * reconnects by itself), the agent's connections cut over and over, and the agent itself killed while the server was
 * unreachable. In each case the stored log is exactly what Terraform printed: every numbered line once, in order, and
 * the server's SHA-256 of the stored log equals both the digest of the downloaded text and the agent's own proof
 * ({@code log_complete}).
 */
class LogPipelineFaultsTest {
    private static final int LINES = 100_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aHundredThousandLinesAndTheApplySurviveTheServerKilledMidApplyAndDownForThirtySeconds() throws Exception {
        Path data = dir.resolve("data");
        Path work = dir.resolve("agent");
        int port = ServerProcess.freePort();
        URI url = URI.create("http://127.0.0.1:" + port);
        Duration ping = null; // the defaults: a 5 s ping interval and the lease they were chosen with
        Process first = ServerProcess.launch(data, dir.resolve("server-1.log"), port, ping);
        Process second = null;
        Agent agent = null;
        try {
            ServerProcess.awaitReady(first, dir.resolve("server-1.log"));
            String adminToken = Files.readString(data.resolve("admin.token")).trim();
            ApiClient admin = new ApiClient(url, () -> adminToken);
            agent = new Agent(AgentConfig.builder(url, data.resolve("agent.token"))
                    .name("faults")
                    .workDir(work)
                    .terraform(E2eHarness.terraform())
                    .pullWait(Duration.ofSeconds(5))
                    .drainTimeout(Duration.ZERO)
                    .build());
            agent.start();
            String id =
                    Applies.create(admin, "killed-server", Applies.printing("kill-" + System.nanoTime(), LINES, "0.5"));

            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Applies.task(admin, id).logLines() >= LINES / 10);
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long spooledAtKill = countSpooled(work);
            // Real time is the point: the outage must outlast what the agent would once have waited.
            Thread.sleep(Duration.ofSeconds(30).toMillis());
            second = ServerProcess.launch(data, dir.resolve("server-2.log"), port, ping);
            ServerProcess.awaitReady(second, dir.resolve("server-2.log"));

            TaskView done = Applies.awaitEnd(admin, id, Duration.ofSeconds(180));
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).as("never handed elsewhere").isEqualTo(1);
            Applies.assertExactLog(admin, done, LINES);
            assertThat(admin.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "killed-server")))
                    .as("the new state, saved")
                    .contains("terraform_data");
            System.out.println("LogPipelineFaultsTest: " + spooledAtKill
                    + " lines were in the spool just after the server was killed");
        } finally {
            if (agent != null) agent.close();
            for (Process p : new Process[] {first, second}) {
                if (p == null) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            }
            TaskProcesses.kill(work, null);
            ServerProcess.stopLeftoverPostmaster(data);
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aHundredThousandLinesSurviveTheAgentsConnectionsCutOverAndOver() throws Exception {
        try (E2eHarness h = new E2eHarness(dir, Duration.ofSeconds(3));
                CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            h.startAgent("cut", c -> c.serverUrl(proxy.url()));
            ApiClient admin = h.server.admin();
            String id = Applies.create(
                    admin, "cut-connections", Applies.printing("cut-" + System.nanoTime(), LINES, "0.5"));

            AtomicBoolean running = new AtomicBoolean(true);
            Thread cutter = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        // Real time is the point: connections cut every 700 ms while a real agent ships its log.
                        Thread.sleep(700);
                    } catch (InterruptedException e) {
                        return;
                    }
                    proxy.cutAll();
                }
            });
            TaskView done;
            try {
                done = Applies.awaitEnd(admin, id, Duration.ofSeconds(240));
            } finally {
                running.set(false);
                cutter.join();
            }
            assertThat(proxy.cuts())
                    .as("connections were cut while the task ran")
                    .isGreaterThan(20);
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            Applies.assertExactLog(admin, done, LINES);
        }
    }

    /**
     * The server becomes unreachable mid-apply; the agent spools what Terraform prints; the agent is killed with
     * SIGKILL and started again on the same work directory once the server is back. It comes back as the same agent,
     * uploads the lines only its spool had, and reports the attempt errored (its Terraform died with it).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aRestartedAgentUploadsWhatOnlyItsSpoolHeld() throws Exception {
        try (E2eHarness h = new E2eHarness(dir, Duration.ofSeconds(5));
                CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            String marker = "spool-" + System.nanoTime();
            E2eHarness.AgentProcess agent = h.startAgentProcess("phoenix", proxy.url(), "--drain-timeout", "0");
            ApiClient admin = h.server.admin();
            String command =
                    "for i in $(seq 1 20); do echo line $i; done; sleep 3; for i in $(seq 21 40); do echo line $i; done; sleep 300";
            String id = Applies.create(admin, "spooled", (ObjectNode)
                    WireJson.lenient().readTree(E2eHarness.localExecConfig(marker, command)));
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> E2eHarness.numberedLines(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id)))
                                    .size()
                            >= 20);

            proxy.refuse(true);
            Path spool = agent.workDir().resolve("spool");
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> spooled(spool).contains("line 40"));
            agent.kill();
            // Its sandbox died with it: nothing of the run is left to finish the apply behind the restarted agent.
            await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(TaskProcesses.find(agent.workDir(), marker))
                            .as("the killed agent's terraform")
                            .isEmpty());
            assertThat(E2eHarness.numberedLines(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id))))
                    .as("the server has not seen the lines printed while it was unreachable")
                    .doesNotContain(40);

            proxy.refuse(false);
            h.startAgentProcess("phoenix", proxy.url(), "--drain-timeout", "0");
            TaskView done = Applies.awaitEnd(admin, id, Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(TaskStatus.ERRORED);
            assertThat(done.message()).contains("the agent restarted while this attempt ran");
            assertThat(done.attempt()).isEqualTo(1);
            String log = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id));
            E2eHarness.assertProvisionerPrinted(log.lines().toList(), 40, "", "the stored log");
            assertThat(done.logComplete())
                    .as("the spool's proof matched what the server stored")
                    .isTrue();
            assertThat(Applies.sha256(log)).isEqualTo(done.logSha256());
            WorkspaceView ws = admin.get(ApiPaths.fill(ApiPaths.WORKSPACE, "spooled"), WorkspaceView.class);
            assertThat(ws.lock())
                    .as("the apply may have created resources: the workspace stays locked")
                    .isNotNull();
            assertThat(ws.lock().taskId()).isEqualTo(id);
            await().atMost(Duration.ofSeconds(10)).until(() -> spooled(spool).isEmpty());
            try (Stream<Path> left = Files.list(spool)) {
                assertThat(left.map(p -> p.getFileName().toString()))
                        .as("the attempt's journal went with its spool")
                        .noneMatch(name -> name.startsWith(id));
            }
        }
    }

    /** The text of every log spool in {@code spool}. */
    private static String spooled(Path spool) throws IOException {
        if (!Files.isDirectory(spool)) return "";
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(spool)) {
            // The log spools; not the attempts' journals nor the agent's disk reserve beside them.
            for (Path f : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) all.append(Files.readString(f));
        }
        return all.toString();
    }

    private static long countSpooled(Path work) throws IOException {
        return spooled(work.resolve("spool")).lines().count();
    }
}
