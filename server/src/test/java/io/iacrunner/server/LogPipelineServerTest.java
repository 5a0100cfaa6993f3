package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server half of the log pipeline: completion proof, redaction, viewer presence, the agent WebSocket. */
class LogPipelineServerTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        // The simulated agents here never ping: a long lease keeps their attempts current however slow the machine.
        server = TestServer.start(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Claimed(TestServer.RegisteredAgent agent, TaskAssignment task) {}

    static Claimed claim(String workspace, ObjectNode variables, List<String> sensitive) {
        return claim(workspace, TaskAction.PLAN, variables, sensitive);
    }

    static Claimed claim(String workspace, TaskAction action, ObjectNode variables, List<String> sensitive) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        // A pool of its own: an earlier test's task, queued again once its agent's lease ran out, cannot come here.
        Map<String, String> labels = server.ownPool("pool-" + workspace);
        TaskView view = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, variables, null, labels, sensitive, null),
                        TaskView.class);
        var agent = server.registerAgentInPool("log-" + workspace, "pool-" + workspace);
        PullResponse r = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(view.taskId());
        return new Claimed(agent, r.tasks().getFirst());
    }

    static List<LogLine> lines(List<String> texts) {
        List<LogLine> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) out.add(new LogLine(i, Instant.now(), LogStream.STDOUT, texts.get(i)));
        return out;
    }

    static String sha256(List<String> texts) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (String t : texts) sha.update((t + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest());
    }

    static TaskView finish(Claimed c, long lines, String sha) {
        return c.agent()
                .job(c.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, c.task().taskId()),
                        new TaskResult(c.task().attempt(), TaskStatus.SUCCEEDED, 0, null, lines, sha),
                        TaskView.class);
    }

    @Test
    void theLogIsCompleteOnlyWhenCountAndDigestMatchWhatIsStored() throws Exception {
        List<String> texts = List.of("one", "two", "three \u00e9");
        Claimed good = claim("ws-proof-good", null, null);
        good.agent()
                .job(good.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, good.task().taskId()),
                        new LogBatch(good.task().attempt(), 0, lines(texts)),
                        LogAck.class);
        assertThat(finish(good, 3, sha256(texts)).logComplete()).isTrue();

        Claimed wrongDigest = claim("ws-proof-digest", null, null);
        wrongDigest
                .agent()
                .job(wrongDigest.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, wrongDigest.task().taskId()),
                        new LogBatch(wrongDigest.task().attempt(), 0, lines(texts)),
                        LogAck.class);
        assertThat(finish(wrongDigest, 3, sha256(List.of("one", "two", "tree"))).logComplete())
                .isFalse();

        // Fewer lines stored than the agent kept: the result waits for them (409 log_gap), then the log is complete.
        Claimed missing = claim("ws-proof-missing", null, null);
        missing.agent()
                .job(missing.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, missing.task().taskId()),
                        new LogBatch(missing.task().attempt(), 0, lines(texts.subList(0, 2))),
                        LogAck.class);
        assertThatThrownBy(() -> finish(missing, 3, sha256(texts))).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(409);
            assertThat(e.code()).isEqualTo("log_gap");
        });
        missing.agent()
                .job(missing.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, missing.task().taskId()),
                        new LogBatch(missing.task().attempt(), 0, lines(texts)),
                        LogAck.class);
        assertThat(finish(missing, 3, sha256(texts)).logComplete()).isTrue();

        // More stored than the agent says it kept: taken, but not complete, and the reason says why.
        Claimed extra = claim("ws-proof-extra", null, null);
        extra.agent()
                .job(extra.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, extra.task().taskId()),
                        new LogBatch(extra.task().attempt(), 0, lines(texts)),
                        LogAck.class);
        TaskView overfull = finish(extra, 2, sha256(texts.subList(0, 2)));
        assertThat(overfull.logComplete()).isFalse();
        assertThat(overfull.logIncompleteReason()).contains("differs from the agent's");
    }

    @Test
    void sensitiveValuesAreMaskedInStoredLinesEvenWhenTheAgentMissedThem() {
        ObjectNode vars = JsonNodeFactory.instance.objectNode();
        vars.put("db_password", "hunter2-very-secret");
        vars.put(
                "pem",
                "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END KEY-----");
        vars.put("plain", "visible-value");
        Claimed c = claim("ws-mask", vars, List.of("db_password", "pem"));
        c.agent()
                .job(c.task())
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, c.task().taskId()),
                        new LogBatch(
                                c.task().attempt(),
                                0,
                                lines(List.of(
                                        "password=hunter2-very-secret;",
                                        "  MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
                                        "plain=visible-value"))),
                        LogAck.class);
        LogPage page =
                server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, c.task().taskId()), LogPage.class);
        assertThat(page.lines())
                .extracting(LogLine::line)
                .containsExactly("password=***;", "  ***", "plain=visible-value");
    }

    @Test
    void aSensitiveNameThatIsNotAVariableIsRefused() {
        RawHttp.Reply reply = new RawHttp(server.baseUrl())
                .send(
                        "POST",
                        ApiPaths.TASKS,
                        server.adminToken(),
                        "{\"workspace_id\":\"w\",\"action\":\"plan\",\"tf_json\":{\"a\":1},\"variables\":{\"x\":\"1\"},"
                                + "\"sensitive_variables\":[\"y\"]}");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.errorCode()).isEqualTo("unknown_sensitive_variable");
    }

    static WebSocket open(String pathAndQuery, String token, WsFrames frames) {
        return HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .buildAsync(URI.create("ws://" + server.baseUrl().getRawAuthority() + pathAndQuery), frames)
                .join();
    }

    @Test
    void theAgentWebSocketAppendsThroughTheSamePathAcksInOrderAndClosesStaleSenders() throws Exception {
        Claimed c = claim("ws-agent-socket", null, null);
        String token = c.task().jobToken();
        String path = ApiPaths.WS_AGENT_LOGS + "?task_id=" + c.task().taskId() + "&attempt="
                + c.task().attempt() + "&stream_mode=auto";
        WsFrames frames = new WsFrames();
        WebSocket ws = open(path, token, frames);
        ws.sendText(
                        WireJson.lenient()
                                .writeValueAsString(new LogBatch(c.task().attempt(), 0, lines(List.of("a", "b", "c")))),
                        true)
                .join();
        assertThat(WireJson.lenient().readValue(frames.next(), LogAck.class).committedLines())
                .isEqualTo(3);
        ws.sendText(
                        WireJson.lenient()
                                .writeValueAsString(new LogBatch(c.task().attempt(), 0, lines(List.of("a", "b", "c")))),
                        true)
                .join();
        assertThat(WireJson.lenient().readValue(frames.next(), LogAck.class).committedLines())
                .as("a duplicate is skipped")
                .isEqualTo(3);

        WsFrames viewer = new WsFrames();
        WebSocket watching = open(ApiPaths.WS_VIEWER + "?task_id=" + c.task().taskId(), server.adminToken(), viewer);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ws.sendText(
                            WireJson.lenient()
                                    .writeValueAsString(new LogBatch(c.task().attempt(), 3, List.of())),
                            true)
                    .join();
            assertThat(WireJson.lenient().readValue(frames.next(), LogAck.class).viewers())
                    .as("stream_mode=auto sees the viewer")
                    .isEqualTo(1);
        });
        watching.sendClose(1000, "bye").join();

        ws.sendText(
                        WireJson.lenient()
                                .writeValueAsString(new LogBatch(
                                        c.task().attempt(),
                                        9,
                                        List.of(new LogLine(9, Instant.now(), LogStream.STDOUT, "gap")))),
                        true)
                .join();
        assertThat(frames.next()).contains("log_gap");
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4409);

        LogPage page =
                server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, c.task().taskId()), LogPage.class);
        assertThat(page.lines()).extracting(LogLine::line).containsExactly("a", "b", "c");
    }

    /**
     * The agent sends batches ahead of their acks: the server stores them (several in one transaction when they
     * wait together), acks each in order, and a gap among them is refused only after the acks of those before it;
     * nothing after the refusal is stored.
     */
    @Test
    void batchesSentAheadAreAckedInOrderAndAGapAmongThemIsRefusedAfterTheAcksBeforeIt() throws Exception {
        Claimed c = claim("ws-agent-ahead", null, null);
        int attempt = c.task().attempt();
        String path = ApiPaths.WS_AGENT_LOGS + "?task_id=" + c.task().taskId() + "&attempt=" + attempt;
        WsFrames frames = new WsFrames();
        WebSocket ws = open(path, c.task().jobToken(), frames);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) texts.add("line " + i);
        List<LogLine> all = lines(texts);
        for (int first = 0; first < 1_500; first += 100) {
            ws.sendText(
                            WireJson.lenient()
                                    .writeValueAsString(new LogBatch(attempt, first, all.subList(first, first + 100))),
                            true)
                    .join();
        }
        ws.sendText(
                        WireJson.lenient().writeValueAsString(new LogBatch(attempt, 1_700, all.subList(1_700, 1_800))),
                        true)
                .join();
        ws.sendText(
                        WireJson.lenient().writeValueAsString(new LogBatch(attempt, 1_500, all.subList(1_500, 1_600))),
                        true)
                .join();

        for (int end = 100; end <= 1_500; end += 100) {
            assertThat(WireJson.lenient().readValue(frames.next(), LogAck.class).committedLines())
                    .isEqualTo(end);
        }
        assertThat(frames.next()).contains("log_gap").contains("resend from seq 1500");
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4409);
        LogPage page =
                server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, c.task().taskId()) + "?limit=5000", LogPage.class);
        assertThat(page.lines()).extracting(LogLine::line).containsExactlyElementsOf(texts.subList(0, 1_500));
        assertThat(page.lines()).extracting(LogLine::seq).doesNotHaveDuplicates();
    }

    /** A reply lost after the commit makes the agent send the same thing again: it is answered, not refused. */
    @Test
    void aStateUploadOrResultRepeatedAfterALostReplyIsAnsweredAsTheFirstAndChangesNothing() throws Exception {
        Claimed c = claim("ws-repeat", TaskAction.PLAN_APPLY, null, null);
        var client = c.agent().job(c.task());
        String id = c.task().taskId();
        client.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, id),
                new PhaseUpdate(c.task().attempt(), TaskPhase.APPLYING),
                Void.class);
        ObjectNode state = JsonNodeFactory.instance
                .objectNode()
                .put("version", 4)
                .put("terraform_version", "1.11.4")
                .put("serial", 1)
                .put("lineage", "lineage-repeat");
        state.putObject("outputs");
        state.putArray("resources");
        StateUpload upload = new StateUpload(c.task().attempt(), state);
        StateVersionView first = client.put(ApiPaths.fill(ApiPaths.TASK_STATE, id), upload, StateVersionView.class);
        StateVersionView again = client.put(ApiPaths.fill(ApiPaths.TASK_STATE, id), upload, StateVersionView.class);
        assertThat(again).isEqualTo(first);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, "ws-repeat"), JsonNode.class)
                        .path("versions"))
                .as("one version, not two")
                .hasSize(1);

        TaskView done = finish(c, 0, sha256(List.of()));
        TaskView repeated = finish(c, 0, sha256(List.of()));
        assertThat(repeated).isEqualTo(done);
        assertThatThrownBy(() -> client.post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, id),
                        new TaskResult(c.task().attempt(), TaskStatus.FAILED, 1, "other", 0, null),
                        TaskView.class))
                .as("a different result for a finished attempt is still stale")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("stale_attempt"));
    }

    @Test
    void theAgentWebSocketRefusesAViewerTokenBeforeTakingAnyLine() throws Exception {
        Claimed c = claim("ws-agent-socket-auth", null, null);
        WsFrames frames = new WsFrames();
        open(ApiPaths.WS_AGENT_LOGS + "?task_id=" + c.task().taskId() + "&attempt=1", server.adminToken(), frames);
        assertThat(frames.next()).contains("forbidden");
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4403);
    }
}
