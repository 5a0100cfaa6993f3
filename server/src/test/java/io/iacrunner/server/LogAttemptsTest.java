package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every attempt of a task keeps its own whole log, readable after a retry (issue 19). */
class LogAttemptsTest {
    /** Long enough that a slow machine's real time never ends a lease: the test steps the clock past it instead. */
    private static final Duration PING = Duration.ofSeconds(10);

    private static final Duration LEASE = PING.multipliedBy(3);

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(
                c -> c.pingInterval(PING).leases(new ServerConfig.Leases(LEASE, Duration.ofHours(24))));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aTaskRetriedAfterItsAgentWasLostShowsBothAttemptsLogsEachComplete() throws Exception {
        Map<String, String> labels = server.ownPool("retried");
        var before = server.metrics();
        var lost = server.registerAgentInPool("lost", "retried");
        var next = server.registerAgentInPool("next", "retried");
        String taskId = server.queuePlan("retried", labels).taskId();

        TaskAssignment first = claim(lost);
        upload(lost, first, "first attempt", 3);
        // Its agent falls silent: the lease runs out, the plan is queued again and another agent runs it to the end.
        server.clock().advance(LEASE.plusSeconds(1));
        ping(next);
        server.server().leases().recoverOnce();
        TaskAssignment second = claim(next);
        assertThat(second.attempt()).isEqualTo(2);
        upload(next, second, "second attempt", 2);
        assertThat(server.metrics().value(RETRIES_WAITED)
                        - before.find(RETRIES_WAITED).orElse(0.0))
                .as("the retry's wait counts, labelled as the second attempt")
                .isEqualTo(1);
        // While attempt 2 runs, a viewer asking for attempt 1 gets its whole log and the end at once.
        assertThat(viewed(taskId, "&attempt=1"))
                .containsExactly("first attempt 0", "first attempt 1", "first attempt 2");
        next.job(second)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, taskId),
                        new TaskResult(second.attempt(), TaskStatus.SUCCEEDED, 0, null, 2, null),
                        TaskView.class);

        assertThat(texts(page(taskId, "?attempt=1")))
                .containsExactly("first attempt 0", "first attempt 1", "first attempt 2");
        assertThat(texts(page(taskId, "?attempt=2"))).containsExactly("second attempt 0", "second attempt 1");
        assertThat(texts(page(taskId, "")))
                .as("the current attempt by default")
                .containsExactly("second attempt 0", "second attempt 1");
        assertThat(server.admin().getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, taskId) + "?attempt=1"))
                .isEqualTo("first attempt 0\nfirst attempt 1\nfirst attempt 2\n");
        assertThat(viewed(taskId, "&attempt=2")).containsExactly("second attempt 0", "second attempt 1");
        assertThat(viewed(taskId, "")).containsExactly("second attempt 0", "second attempt 1");
        for (String bad : List.of("&attempt=3", "&attempt=x")) {
            WsFrames refused = new WsFrames();
            open(taskId, bad, refused);
            assertThat(refused.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4400);
            assertThat(refused.all()).contains(bad.equals("&attempt=x") ? "invalid_attempt" : "attempts 1 to 2");
        }
        for (String bad : List.of("?attempt=3", "?attempt=-1")) {
            assertThatThrownBy(() -> page(taskId, bad)).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("invalid_attempt");
                assertThat(e.getMessage()).contains("attempts 1 to 2");
            });
        }
    }

    private static final String RETRIES_WAITED = "iac_queue_to_start_seconds_count{attempt=\"2\"}";

    /** The lines a live viewer ({@code /ws/logs}) of the task is sent until the end frame. */
    private static List<String> viewed(String taskId, String query) throws Exception {
        WsFrames frames = new WsFrames();
        open(taskId, query, frames);
        List<String> lines = new ArrayList<>();
        while (true) {
            ViewerFrame frame = WireJson.lenient().readValue(frames.next(), ViewerFrame.class);
            if (ViewerFrame.END.equals(frame.type())) break;
            frame.lines().forEach(l -> lines.add(l.line()));
        }
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
        return lines;
    }

    private static void open(String taskId, String query, WsFrames frames) {
        HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .header("Authorization", "Bearer " + server.adminToken())
                .buildAsync(
                        URI.create("ws://" + server.baseUrl().getRawAuthority() + ApiPaths.WS_VIEWER + "?task_id="
                                + taskId + "&offset=0" + query),
                        frames)
                .join();
    }

    private static TaskAssignment claim(TestServer.RegisteredAgent agent) {
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, false, 0), PullResponse.class);
        assertThat(pulled.tasks()).hasSize(1);
        return pulled.tasks().getFirst();
    }

    private static void upload(TestServer.RegisteredAgent agent, TaskAssignment t, String text, int count) {
        List<LogLine> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) lines.add(new LogLine(i, Instant.now(), LogStream.STDOUT, text + " " + i));
        agent.job(t)
                .post(ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()), new LogBatch(t.attempt(), 0, lines), LogAck.class);
    }

    private static void ping(TestServer.RegisteredAgent agent) {
        agent.client()
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(agent.agentId(), false, 0, 3, false, List.of(), 0, 0, "test"),
                        PingReply.class);
    }

    private static LogPage page(String taskId, String query) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + query, LogPage.class);
    }

    private static List<String> texts(LogPage page) {
        return page.lines().stream().map(LogLine::line).toList();
    }
}
