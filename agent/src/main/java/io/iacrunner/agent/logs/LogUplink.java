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
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one attempt's log batches reach the server: over the seed's agent WebSocket ({@code /ws/agent/logs}), several
 * batches in flight ({@link #submit} sends without waiting, {@link #await} takes the acks in order); over HTTP ({@code POST /api/v1/tasks/{id}/logs}) when the
 * WebSocket cannot be opened or breaks (a proxy that does not pass WebSockets, a cut connection). Both reach the same
 * append path on the server, so which one carried a batch changes nothing. After a WebSocket failure HTTP carries the
 * batches for {@link #WEBSOCKET_RETRY}, then the WebSocket is tried again.
 *
 * <p>A refusal by the server arrives the same way from both: an {@link ApiException} with the HTTP status and code
 * (over the WebSocket, the error body then a close with code 4000 + status). Only one thread may use an uplink.
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

    /** A batch submitted: sent on the WebSocket (its reply to come, in order), or to be posted over HTTP. */
    static final class Pending {
        private final LogBatch batch;
        private final CompletableFuture<JsonNode> reply;

        private Pending(LogBatch batch, CompletableFuture<JsonNode> reply) {
            this.batch = batch;
            this.reply = reply;
        }
    }

    /**
     * Whether batches may be sent ahead of their acks now: over the WebSocket. Over HTTP each batch is a request of
     * its own, posted when awaited, so it goes one at a time.
     */
    boolean sendsAhead() {
        return websocketAllowed && clock.nanoTime() - websocketRetryAt >= 0;
    }

    /** Sends the batch over the WebSocket without waiting for its ack, or keeps it to be posted by {@link #await}. */
    Pending submit(LogBatch batch) {
        if (sendsAhead()) {
            try {
                return new Pending(batch, connected().sendAhead(batch));
            } catch (WebSocketUnavailable e) {
                useHttpForAWhile(e);
            }
        }
        return new Pending(batch, null);
    }

    /**
     * The server's acknowledgement of a submitted batch; a refusal or an unreachable server throws. Batches must be
     * awaited in the order submitted. When the WebSocket breaks, the batch is posted over HTTP instead (the server
     * skips lines it already has), and so is every batch after it that was sent on the broken socket.
     */
    LogAck await(Pending pending) {
        if (pending.reply != null) {
            try {
                return Connection.ackOf(Connection.awaitReply(pending.reply));
            } catch (WebSocketUnavailable e) {
                useHttpForAWhile(e);
            } catch (ApiException e) {
                closeConnection(); // the server closed it with the refusal
                throw e;
            }
        }
        return credentials.api().post(httpPath, pending.batch, LogAck.class);
    }

    /** Sends the batch and returns the server's acknowledgement; a refusal or an unreachable server throws. */
    LogAck send(LogBatch batch) {
        return await(submit(batch));
    }

    /**
     * Batches sent ahead are given up (the shipper sends again from the last acknowledged line): the socket is closed,
     * so that no reply to them can be taken for the reply to a later batch.
     */
    void dropInFlight() {
        closeConnection();
    }

    private void useHttpForAWhile(WebSocketUnavailable e) {
        if (connection == null && clock.nanoTime() - websocketRetryAt < 0) return; // already on HTTP
        closeConnection();
        websocketRetryAt = clock.nanoTime() + WEBSOCKET_RETRY.toNanos();
        log.info(
                "task {} attempt {}: log WebSocket unavailable ({}); sending over HTTP for {} s",
                taskId,
                attempt,
                e.getMessage(),
                WEBSOCKET_RETRY.toSeconds());
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

    /** One open WebSocket; its listener hands each reply to the oldest batch still waiting for one. */
    private static final class Connection implements WebSocket.Listener {
        final long generation;
        private WebSocket socket;
        private final StringBuilder text = new StringBuilder();
        /** Replies to come, in the order their batches were sent (the server answers in that order). */
        private final Deque<CompletableFuture<JsonNode>> replies = new ConcurrentLinkedDeque<>();

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

        CompletableFuture<JsonNode> sendAhead(LogBatch batch) {
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            replies.add(answer);
            if (closed) failAll(new WebSocketUnavailable("the connection closed"));
            try {
                socket.sendText(JSON.writeValueAsString(batch), true).get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot encode a log batch", e);
            } catch (ExecutionException e) {
                throw new WebSocketUnavailable(rootMessage(e));
            } catch (TimeoutException e) {
                throw new WebSocketUnavailable("could not send within " + REPLY_TIMEOUT.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException("interrupted while sending a log batch", e);
            }
            return answer;
        }

        static JsonNode awaitReply(CompletableFuture<JsonNode> answer) {
            try {
                return answer.get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ApiException refused) throw refused;
                throw new WebSocketUnavailable(rootMessage(e));
            } catch (TimeoutException e) {
                throw new WebSocketUnavailable("no reply within " + REPLY_TIMEOUT.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException("interrupted while sending a log batch", e);
            }
        }

        static LogAck ackOf(JsonNode body) {
            try {
                return JSON.treeToValue(body, LogAck.class);
            } catch (JsonProcessingException e) {
                throw new ApiException(
                        200, ErrorCodes.BAD_REPLY, "unreadable reply on the log WebSocket: " + e.getOriginalMessage());
            }
        }

        private void answerOldest(JsonNode reply) {
            CompletableFuture<JsonNode> oldest = replies.poll();
            if (oldest != null) oldest.complete(reply);
        }

        private void failAll(Throwable why) {
            for (CompletableFuture<JsonNode> waiting; (waiting = replies.poll()) != null; ) {
                waiting.completeExceptionally(why);
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
                    else answerOldest(node);
                } catch (JsonProcessingException e) {
                    CompletableFuture<JsonNode> oldest = replies.poll();
                    if (oldest != null)
                        oldest.completeExceptionally(new ApiException(
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
            // The refusal is for the oldest batch not acknowledged; the server read nothing after it.
            if (statusCode >= 4000 && statusCode < 5000) {
                String body = refusal != null ? refusal : "{}";
                failAll(ApiClient.errorOf(statusCode - 4000, body));
            } else {
                failAll(new WebSocketUnavailable("closed by the server (" + statusCode + " " + reason + ")"));
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed = true;
            failAll(new WebSocketUnavailable(error.toString()));
        }

        void close() {
            closed = true;
            if (socket != null) socket.abort();
            failAll(new WebSocketUnavailable("closed by the agent"));
        }

        private static String rootMessage(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null) t = t.getCause();
            return t.toString();
        }
    }
}
