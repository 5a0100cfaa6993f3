package io.iacrunner.agent.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.WireJson;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one attempt's log batches reach the server: over the seed's agent WebSocket ({@code /ws/agent/logs}), one
 * batch in flight, each answered by a {@link LogAck}; over HTTP ({@code POST /api/v1/tasks/{id}/logs}) when the
 * WebSocket cannot be opened or breaks (a proxy that does not pass WebSockets, a cut connection). Both reach the same
 * append path on the server, so which one carried a batch changes nothing. After a WebSocket failure HTTP carries the
 * batches for {@link #WEBSOCKET_RETRY}, then the WebSocket is tried again.
 *
 * <p>A refusal by the server arrives the same way from both: an {@link ApiException} with the HTTP status and code
 * (over the WebSocket, the error body then a close with code 4000 + status). Only one thread may call {@link #send}.
 */
public final class LogUplink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogUplink.class);
    static final Duration WEBSOCKET_RETRY = Duration.ofSeconds(30);
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = WireJson.lenient();

    private final Credentials credentials;
    private final String taskId;
    private final int attempt;
    private final String httpPath;
    private final boolean websocketAllowed;
    private final AgentClock clock;

    private Connection connection;
    private long websocketRetryAt;

    /**
     * @param websocketAllowed false sends everything over HTTP (an operator's choice, or a test's)
     * @param clock what the wait before trying the WebSocket again is timed on
     */
    public LogUplink(Credentials credentials, String taskId, int attempt, boolean websocketAllowed, AgentClock clock) {
        this.credentials = credentials;
        this.taskId = taskId;
        this.attempt = attempt;
        this.httpPath = ApiPaths.fill(ApiPaths.TASK_LOGS, taskId);
        this.websocketAllowed = websocketAllowed;
        this.clock = clock;
    }

    /** The credential the batches are sent with. */
    Credentials credentials() {
        return credentials;
    }

    String taskId() {
        return taskId;
    }

    int attempt() {
        return attempt;
    }

    /** Sends the batch and returns the server's acknowledgement; a refusal or an unreachable server throws. */
    LogAck send(LogBatch batch) {
        if (websocketAllowed && clock.nanoTime() - websocketRetryAt >= 0) {
            try {
                return connected().exchange(batch);
            } catch (WebSocketUnavailable e) {
                closeConnection();
                websocketRetryAt = clock.nanoTime() + WEBSOCKET_RETRY.toNanos();
                log.info(
                        "task {} attempt {}: log WebSocket unavailable ({}); sending over HTTP for {} s",
                        taskId,
                        attempt,
                        e.getMessage(),
                        WEBSOCKET_RETRY.toSeconds());
            } catch (ApiException e) {
                closeConnection(); // the server closed it with the refusal
                throw e;
            }
        }
        return credentials.api().post(httpPath, batch, LogAck.class);
    }

    private Connection connected() {
        long generation = credentials.generation();
        if (connection != null && connection.generation == generation && connection.isOpen()) return connection;
        closeConnection();
        connection = Connection.open(
                credentials.api(),
                ApiPaths.WS_AGENT_LOGS + "?task_id=" + URLEncoder.encode(taskId, StandardCharsets.UTF_8) + "&attempt="
                        + attempt + "&stream_mode=auto",
                generation);
        return connection;
    }

    private void closeConnection() {
        if (connection != null) connection.close();
        connection = null;
    }

    @Override
    public void close() {
        closeConnection();
    }

    /** The WebSocket could not carry the batch: try HTTP. Not a refusal by the server. */
    static final class WebSocketUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WebSocketUnavailable(String message) {
            super(message);
        }
    }

    /** One open WebSocket; its listener hands each reply to the one waiting {@link #exchange}. */
    private static final class Connection implements WebSocket.Listener {
        final long generation;
        private WebSocket socket;
        private final StringBuilder text = new StringBuilder();
        private volatile CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        private volatile String refusal;
        private volatile boolean closed;

        private Connection(long generation) {
            this.generation = generation;
        }

        static Connection open(ApiClient api, String pathAndQuery, long generation) {
            Connection c = new Connection(generation);
            try {
                c.socket = api.openWebSocket(pathAndQuery, c).get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new WebSocketUnavailable("cannot open " + ApiPaths.WS_AGENT_LOGS + ": " + rootMessage(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException("interrupted while opening the log WebSocket", e);
            }
            return c;
        }

        boolean isOpen() {
            return !closed && !socket.isOutputClosed() && !socket.isInputClosed();
        }

        LogAck exchange(LogBatch batch) {
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            reply = answer;
            if (closed) answer.completeExceptionally(new WebSocketUnavailable("the connection closed"));
            JsonNode body;
            try {
                socket.sendText(JSON.writeValueAsString(batch), true).get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                body = answer.get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot encode a log batch", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ApiException refused) throw refused;
                throw new WebSocketUnavailable(rootMessage(e));
            } catch (TimeoutException e) {
                throw new WebSocketUnavailable("no reply within " + REPLY_TIMEOUT.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException("interrupted while sending a log batch", e);
            }
            try {
                return JSON.treeToValue(body, LogAck.class);
            } catch (JsonProcessingException e) {
                throw new ApiException(
                        200, ErrorCodes.BAD_REPLY, "unreadable reply on the log WebSocket: " + e.getOriginalMessage());
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    JsonNode node = JSON.readTree(message);
                    if (node.has("error")) refusal = message; // the close with the status follows
                    else reply.complete(node);
                } catch (JsonProcessingException e) {
                    reply.completeExceptionally(new ApiException(
                            200,
                            ErrorCodes.BAD_REPLY,
                            "unreadable reply on the log WebSocket: " + e.getOriginalMessage()));
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed = true;
            if (statusCode >= 4000 && statusCode < 5000) {
                String body = refusal != null ? refusal : "{}";
                reply.completeExceptionally(ApiClient.errorOf(statusCode - 4000, body));
            } else {
                reply.completeExceptionally(
                        new WebSocketUnavailable("closed by the server (" + statusCode + " " + reason + ")"));
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed = true;
            reply.completeExceptionally(new WebSocketUnavailable(error.toString()));
        }

        void close() {
            closed = true;
            if (socket != null) socket.abort();
        }

        private static String rootMessage(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null) t = t.getCause();
            return t.toString();
        }
    }
}
