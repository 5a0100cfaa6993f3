package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.PrometheusText;
import io.iacrunner.server.testing.RedisProcess;
import io.iacrunner.server.testing.ServerProcess;
import io.iacrunner.server.testing.TestServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server replicas on the machine's PostgreSQL (a database of this test's own) and a Redis this test starts and
 * may stop: replica A in a child JVM, so it can be killed for real, replica B in this JVM. A real agent (this JVM)
 * knows both, A first; viewers watch on B. Every line must reach the viewer exactly once whatever happens to A or
 * to Redis, and the stored log must be complete.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplicasEndToEndTest {
    private static final Duration PING = Duration.ofSeconds(2);
    private static final Duration RUN = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    ExternalServices.FreshDatabase db;
    RedisProcess redis;
    String prefix;
    TestServer b;
    Process a;
    URI aUrl;
    Agent agent;

    @BeforeEach
    void start() throws Exception {
        db = ExternalServices.postgres();
        redis = RedisProcess.start(dir);
        prefix = ExternalServices.redisPrefix();
        b = TestServer.start(c -> db.configure(c).redis(redis.url(), prefix).pingInterval(PING));
        int port = ServerProcess.freePort();
        Map<String, String> settings = new HashMap<>(db.settings());
        settings.put("redis-url", redis.url());
        settings.put("redis-prefix", prefix);
        Path log = dir.resolve("replica-a.log");
        a = ServerProcess.launch(Files.createDirectories(dir.resolve("replica-a")), log, port, PING, settings);
        ServerProcess.awaitReady(a, log);
        aUrl = URI.create("http://127.0.0.1:" + port);
        agent = new Agent(AgentConfig.builder(aUrl, b.server().agentTokenFile())
                .otherServers(List.of(b.baseUrl()))
                .name("replicated")
                .workDir(Files.createDirectories(dir.resolve("agent")))
                .terraform(E2eHarness.terraform())
                .pullWait(Duration.ofSeconds(5))
                // The gate a provisioner waits for is outside its sandbox but for this directory, shown read-only.
                .sandboxReadOnly(List.of(Files.createDirectories(dir.resolve("gates"))))
                .build());
        agent.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) agent.close();
        if (a != null) {
            a.destroyForcibly();
            a.waitFor(30, TimeUnit.SECONDS);
        }
        if (b != null) b.close();
        if (redis != null) redis.close();
        if (db != null) db.close();
    }

    @Test
    void aViewerOnReplicaBGetsEveryLineLiveExactlyOnceWhileTheAgentUploadsToReplicaA() throws Exception {
        Path gate = dir.resolve("gates").resolve("gate");
        int count = 2_000;
        String id = create(
                E2eHarness.localExecConfig(UUID.randomUUID().toString(), waitFor(gate) + printing("line", count)));
        LiveViewer viewer = LiveViewer.open(b.admin(), id, 0, true);
        Files.writeString(gate, "go");

        List<ViewerFrame> frames = viewer.untilEnd(RUN);
        assertThat(frames.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<LogLine> lines = LogChecks.linesOf(frames);
        LogChecks.assertEveryStoredLineOnceInOrder(b.admin(), id, lines);
        E2eHarness.assertProvisionerPrinted(LogChecks.texts(lines), count, "", "the lines the viewer on B got");
        assertThat(frames.size())
                .as("frames: the lines came live, not in one piece at the end")
                .isGreaterThan(3);
        // The uploads went to A (the agent's first server): B stored none of them, it only relayed them to its viewer.
        assertThat(metricsOf(aUrl).value("iac_log_ingested_lines_total")).isEqualTo(lines.size());
        assertThat(b.metrics().value("iac_log_ingested_lines_total")).isZero();
    }

    @Test
    void killingReplicaAMidTaskMovesTheAgentToReplicaBWithTheLogStillComplete() throws Exception {
        int count = 3_000;
        String id = create(E2eHarness.localExecConfig(UUID.randomUUID().toString(), slowly(count)));
        LiveViewer viewer = LiveViewer.open(b.admin(), id, 0, true);
        await("300 lines stored")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> LogChecks.task(b.admin(), id).logLines() >= 300);

        a.destroyForcibly(); // SIGKILL: no drain, no goodbye
        assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
        System.out.println("ReplicasEndToEndTest: killed replica A with "
                + LogChecks.task(b.admin(), id).logLines() + " lines stored");

        List<ViewerFrame> frames = viewer.untilEnd(RUN);
        assertThat(frames.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<LogLine> lines = LogChecks.linesOf(frames);
        LogChecks.assertEveryStoredLineOnceInOrder(b.admin(), id, lines);
        E2eHarness.assertProvisionerPrinted(LogChecks.texts(lines), count, "", "the lines the viewer on B got");
        TaskView ended = LogChecks.task(b.admin(), id);
        assertThat(ended.attempt())
                .as("the same attempt went on: the agent kept its lease through B")
                .isEqualTo(1);
        assertThat(b.metrics().value("iac_log_ingested_lines_total"))
                .as("lines B stored after A died")
                .isPositive();
    }

    @Test
    void withRedisStoppedMidRunTheTaskFinishesWithItsWholeLogAndLiveViewingResumesWhenRedisReturns() throws Exception {
        Path outage = dir.resolve("gates").resolve("outage");
        Path back = dir.resolve("gates").resolve("back");
        String id = create(E2eHarness.localExecConfig(
                UUID.randomUUID().toString(),
                printing("before", 200)
                        + waitFor(outage)
                        + printing("during", 200)
                        + waitFor(back)
                        + printing("after", 200)));
        LiveViewer viewer = LiveViewer.open(b.admin(), id, 0, true);
        List<ViewerFrame> frames = new ArrayList<>();
        readUntil(viewer, frames, "before 200");

        redis.kill();
        await("B notices Redis is gone")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> b.metrics().value("iac_redis_connected") == 0);
        Files.writeString(outage, "go");
        // No wake-ups cross now: B's viewer sees A's commits by polling the store.
        readUntil(viewer, frames, "during 200");

        redis.start();
        await("B subscribed again")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> b.metrics().value("iac_redis_connected") == 1);
        double received = b.metrics().value("iac_redis_wakeups_received_total");
        Files.writeString(back, "go");
        frames.addAll(viewer.untilEnd(RUN));

        assertThat(frames.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<LogLine> lines = LogChecks.linesOf(frames);
        LogChecks.assertEveryStoredLineOnceInOrder(b.admin(), id, lines);
        for (String phase : List.of("before", "during", "after")) {
            E2eHarness.assertProvisionerPrinted(
                    LogChecks.texts(lines).stream()
                            .filter(l -> E2eHarness.plain(l).contains("(local-exec): " + phase + " "))
                            .map(l -> l.replace(phase + " ", "line"))
                            .toList(),
                    200,
                    "",
                    "the '" + phase + "' lines the viewer got");
        }
        assertThat(b.metrics().value("iac_redis_wakeups_received_total"))
                .as("wake-ups from A reached B again once Redis was back")
                .isGreaterThan(received);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private String create(String configJson) throws Exception {
        var tf = (com.fasterxml.jackson.databind.node.ObjectNode)
                WireJson.lenient().readTree(configJson);
        return b.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                "replicas-" + UUID.randomUUID().toString().substring(0, 8),
                                TaskAction.PLAN_APPLY,
                                tf,
                                null,
                                null,
                                null,
                                null,
                                null),
                        TaskView.class)
                .taskId();
    }

    /** Frames into {@code frames} until one holds a line ending with {@code text}. */
    private static void readUntil(LiveViewer viewer, List<ViewerFrame> frames, String text)
            throws InterruptedException {
        while (true) {
            ViewerFrame frame = viewer.next(RUN);
            frames.add(frame);
            assertThat(frame.type()).as("a frame before '%s'", text).isEqualTo(ViewerFrame.LINES);
            if (frame.lines().stream().anyMatch(l -> E2eHarness.plain(l.line()).endsWith(text))) return;
        }
    }

    private static PrometheusText metricsOf(URI server) {
        return new PrometheusText(new ApiClient(server, () -> null).getText(ApiPaths.METRICS));
    }

    /** Shell printing "{@code word} 1" … "{@code word} {@code count}". */
    private static String printing(String word, int count) {
        return "i=1; while [ $i -le " + count + " ]; do echo \"" + word + " $i\"; i=$((i+1)); done\n";
    }

    /** {@code count} numbered lines, 50 at a time with 0.1 s in between. */
    private static String slowly(int count) {
        return "i=1; while [ $i -le " + count
                + " ]; do echo \"line $i\"; if [ $((i % 50)) -eq 0 ]; then sleep 0.1; fi; i=$((i+1)); done";
    }

    private static String waitFor(Path gate) {
        return "n=0; while [ ! -e '" + gate.toAbsolutePath()
                + "' ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n+1)); done\n";
    }
}
