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
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log pipeline under faults, with real Terraform: the server killed with SIGKILL mid-apply (and started again on
 * the same data dir and port: queued and running work survives, the agent reconnects by itself), the agent's
 * connections cut over and over, and the agent itself killed while the server was unreachable. In each case the
 * stored log is exactly what Terraform printed: every numbered line once, in order, and the server's SHA-256 of the
 * stored log equals both the digest of the downloaded text and the agent's own proof ({@code log_complete}).
 */
class LogPipelineFaultsTest {
    private static final int LINES = 100_000;

    @TempDir
    Path dir;

    /** An apply that prints {@link #LINES} numbered lines in 20 bursts half a second apart. */
    private static ObjectNode hundredThousandLines(String marker) throws IOException {
        int burst = LINES / 20;
        String command = "for b in $(seq 0 19); do seq $((b*" + burst + "+1)) $((b*" + burst + "+" + burst
                + ")) | sed 's/^/line /'; sleep 0.5; done";
        return (ObjectNode) WireJson.lenient().readTree(E2eHarness.localExecConfig(marker, command));
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aHundredThousandLinesSurviveTheServerKilledMidApply() throws Exception {
        Path data = dir.resolve("data");
        Path work = dir.resolve("agent");
        int port = ServerProcess.freePort();
        URI url = URI.create("http://127.0.0.1:" + port);
        // The lease (three pings) must outlast the restart, which takes long on a busy machine beside a printing Terraform.
        Duration ping = Duration.ofSeconds(20);
        Process first = ServerProcess.launch(data, dir.resolve("server-1.log"), port, ping);
        Process second = null;
        Agent agent = null;
        try {
            ServerProcess.awaitReady(first, dir.resolve("server-1.log"));
            String adminToken = Files.readString(data.resolve("admin.token")).trim();
            ApiClient admin = new ApiClient(url, () -> adminToken);
            agent = new Agent(AgentConfig.of(url, data.resolve("agent.token")).withName("faults").withWorkDir(work)
                    .withTerraform(E2eHarness.terraform()).withPullWait(Duration.ofSeconds(5)).withDrainTimeout(Duration.ZERO));
            agent.start();
            String id = create(admin, "killed-server", hundredThousandLines("kill-" + System.nanoTime()));

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> task(admin, id).logLines() >= LINES / 10);
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long spooledAtKill = countSpooled(work);
            second = ServerProcess.launch(data, dir.resolve("server-2.log"), port, ping);
            ServerProcess.awaitReady(second, dir.resolve("server-2.log"));

            TaskView done = awaitEnd(admin, id, Duration.ofSeconds(180));
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).as("never handed elsewhere").isEqualTo(1);
            assertExactLog(admin, done);
            assertThat(admin.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "killed-server"))).as("the new state, saved")
                    .contains("terraform_data");
            System.out.println("LogPipelineFaultsTest: " + spooledAtKill + " lines were in the spool just after the server was killed");
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
        try (E2eHarness h = new E2eHarness(dir, Duration.ofSeconds(3)); CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            h.startAgent("cut", c -> c.withServerUrl(proxy.url()));
            ApiClient admin = h.server.admin();
            String id = create(admin, "cut-connections", hundredThousandLines("cut-" + System.nanoTime()));

            AtomicBoolean running = new AtomicBoolean(true);
            Thread cutter = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        Thread.sleep(700);
                    } catch (InterruptedException e) {
                        return;
                    }
                    proxy.cutAll();
                }
            });
            TaskView done;
            try {
                done = awaitEnd(admin, id, Duration.ofSeconds(240));
            } finally {
                running.set(false);
                cutter.join();
            }
            assertThat(proxy.cuts()).as("connections were cut while the task ran").isGreaterThan(20);
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertExactLog(admin, done);
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
        try (E2eHarness h = new E2eHarness(dir, Duration.ofSeconds(5)); CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            String marker = "spool-" + System.nanoTime();
            E2eHarness.AgentProcess agent = h.startAgentProcess("phoenix", proxy.url(), "--drain-timeout", "0");
            ApiClient admin = h.server.admin();
            String command = "for i in $(seq 1 20); do echo line $i; done; sleep 3; for i in $(seq 21 40); do echo line $i; done; sleep 300";
            String id = create(admin, "spooled", (ObjectNode) WireJson.lenient().readTree(E2eHarness.localExecConfig(marker, command)));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> E2eHarness.numberedLines(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id))).size() >= 20);

            proxy.refuse(true);
            Path spool = agent.workDir().resolve("spool");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> spooled(spool).contains("line 40"));
            agent.kill();
            assertThat(TaskProcesses.kill(agent.workDir(), marker)).as("the killed agent's terraform").isNotEmpty();
            assertThat(E2eHarness.numberedLines(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id))))
                    .as("the server has not seen the lines printed while it was unreachable").doesNotContain(40);

            proxy.refuse(false);
            h.startAgentProcess("phoenix", proxy.url(), "--drain-timeout", "0");
            TaskView done = awaitEnd(admin, id, Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(TaskStatus.ERRORED);
            assertThat(done.message()).contains("the agent restarted while this attempt ran");
            assertThat(done.attempt()).isEqualTo(1);
            String log = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id));
            E2eHarness.assertProvisionerPrinted(log.lines().toList(), 40, "", "the stored log");
            assertThat(done.logComplete()).as("the spool's proof matched what the server stored").isTrue();
            assertThat(sha256(log)).isEqualTo(done.logSha256());
            WorkspaceView ws = admin.get(ApiPaths.fill(ApiPaths.WORKSPACE, "spooled"), WorkspaceView.class);
            assertThat(ws.lock()).as("the apply may have created resources: the workspace stays locked").isNotNull();
            assertThat(ws.lock().taskId()).isEqualTo(id);
            await().atMost(Duration.ofSeconds(10)).until(() -> spooled(spool).isEmpty());
        }
    }

    private static String create(ApiClient admin, String workspace, ObjectNode config) {
        return admin.post(ApiPaths.TASKS, new CreateTaskRequest(workspace, TaskAction.PLAN_APPLY, config, null, null, null, null, null),
                TaskView.class).taskId();
    }

    private static TaskView task(ApiClient admin, String id) {
        return admin.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    private static TaskView awaitEnd(ApiClient admin, String id, Duration limit) {
        return await().atMost(limit).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> task(admin, id), t -> t.status().isTerminal());
    }

    /**
     * Every numbered line once, in order (compared as text: Terraform itself may split a slow line, see
     * {@link E2eHarness#assertProvisionerPrinted}); the count and the digest agree three ways (agent, store, download).
     */
    private static void assertExactLog(ApiClient admin, TaskView done) throws Exception {
        String log = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, done.taskId()));
        E2eHarness.assertProvisionerPrinted(log.lines().toList(), LINES, "", "the stored log");
        assertThat(log.lines().count()).isEqualTo(done.logLines());
        assertThat(done.logComplete()).as("the agent's count and SHA-256 match the store").isTrue();
        assertThat(sha256(log)).as("the download's digest is the server's").isEqualTo(done.logSha256());
        assertThat(E2eHarness.plain(log)).contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The text of every spool file in {@code spool}. */
    private static String spooled(Path spool) throws IOException {
        if (!Files.isDirectory(spool)) return "";
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(spool)) {
            for (Path f : files.toList()) all.append(Files.readString(f));
        }
        return all.toString();
    }

    private static long countSpooled(Path work) throws IOException {
        return spooled(work.resolve("spool")).lines().count();
    }
}
