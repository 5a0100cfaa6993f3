package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.logs.LogRoutes;
import io.iacrunner.server.testing.LogCapture;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import io.iacrunner.server.web.HttpApi;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;
import org.slf4j.LoggerFactory;

/**
 * A client that goes away in the middle of a reply (a viewer closing its tab, {@code iac logs | head}, a CLI killed
 * while downloading) is no error of the server's: nothing at ERROR, no stack trace in the log.
 */
// Alone: it reads the process-wide log (LogCapture).
@Isolated
class ClientDisconnectTest {
    static final int LINES = 60_000;
    static TestServer server;
    static String taskId;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60));
        // A log of some 12 MB, far more than the socket buffers hold: the reply is still being written when the
        // client leaves.
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        Map<String, String> labels = server.ownPool("disconnect");
        taskId = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest("disconnect", TaskAction.PLAN, tf, null, null, labels, null, null),
                        TaskView.class)
                .taskId();
        var agent = server.registerAgentInPool("disconnect-agent", "disconnect");
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        TaskAssignment task = pulled.tasks().getFirst();
        String filler = "x".repeat(200);
        for (int first = 0; first < LINES; first += 2_000) {
            List<LogLine> lines = new ArrayList<>();
            for (int seq = first; seq < first + 2_000; seq++)
                lines.add(new LogLine(seq, Instant.now(), LogStream.STDOUT, seq + " " + filler));
            agent.job(task)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_LOGS, taskId),
                            new LogBatch(task.attempt(), first, lines),
                            LogAck.class);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aClientThatLeavesInTheMiddleOfALogDownloadIsNotAnError() throws Exception {
        Logger api = (Logger) LoggerFactory.getLogger(HttpApi.class);
        Level before = api.getLevel();
        api.setLevel(Level.DEBUG); // to see that the server noticed, and said so at DEBUG
        try (LogCapture logs = LogCapture.start()) {
            leaveMidReply(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, taskId));
            // The server notices when its next write fails.
            Awaitility.await("the server noticed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() ->
                            !logs.containing("the client went away during GET").isEmpty());
            leaveMidReply(ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + "?limit=10000");
            assertThat(server.anonymous().getText(ApiPaths.HEALTH)).contains("ok");
            String seen = LogCapture.describe(logs.events());
            assertThat(logs.containing("the client went away during GET")
                            .getFirst()
                            .getLevel())
                    .isEqualTo(Level.DEBUG);
            assertThat(logs.atLeast(Level.ERROR)).as(seen).isEmpty();
            assertThat(logs.events()).as("no stack traces: " + seen).allMatch(e -> e.getThrowableProxy() == null);
        } finally {
            api.setLevel(before);
        }
    }

    @Test
    void aViewerThatLeavesInTheMiddleOfTheReplayIsNotAnError() throws Exception {
        Logger routes = (Logger) LoggerFactory.getLogger(LogRoutes.class);
        Level before = routes.getLevel();
        routes.setLevel(Level.DEBUG);
        try (LogCapture logs = LogCapture.start()) {
            WsFrames frames = new WsFrames();
            WebSocket ws = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .header("Authorization", "Bearer " + server.adminToken())
                    .buildAsync(
                            URI.create("ws://" + server.baseUrl().getAuthority() + ApiPaths.WS_VIEWER + "?task_id="
                                    + taskId),
                            frames)
                    .get(10, TimeUnit.SECONDS);
            assertThat(frames.next()).contains("\"type\":\"lines\"");
            ws.abort(); // the tab closed: no close frame, the connection just ends
            Awaitility.await("the server noticed")
                    .atMost(Duration.ofSeconds(70))
                    .until(() -> !logs.containing("viewer of " + taskId + " went away")
                            .isEmpty());
            String seen = LogCapture.describe(logs.events());
            assertThat(logs.atLeast(Level.WARN)).as(seen).isEmpty();
            assertThat(logs.events()).as("no stack traces: " + seen).allMatch(e -> e.getThrowableProxy() == null);
        } finally {
            routes.setLevel(before);
        }
    }

    /** Asks for {@code path}, reads the start of the reply, then resets the connection (no orderly close). */
    private static void leaveMidReply(String path) throws Exception {
        try (Socket socket =
                new Socket(server.baseUrl().getHost(), server.baseUrl().getPort())) {
            socket.setReceiveBufferSize(4096);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + server.adminToken()
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] start = in.readNBytes(8192);
            assertThat(new String(start, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
            socket.setSoLinger(true, 0); // close = RST, as when a process dies
        }
    }
}
