package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.NetworkErrors;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a task's log over the viewer WebSocket until the server sends {@code end}. Every connection asks for the
 * lines from the last {@code next_offset} on, and lines the server repeats are dropped, so a reconnect leaves no gap
 * and no duplicate. Connections that drop or go silent are reopened with exponential backoff; the follower gives up
 * only after {@code maxOutage} without a working connection, or at once when the server refuses the handshake.
 */
final class LogFollower {
    private static final Logger log = LoggerFactory.getLogger(LogFollower.class);
    /**
     * The follower's own pings: a live server answers each with a pong, so silence means a dead connection. The JDK
     * client does not always report a connection the server's side dropped without a close frame; a ping that cannot
     * be sent, or three that go unanswered, find it out.
     */
    private static final Duration PING_EVERY = Duration.ofSeconds(3);

    private static final Duration SILENCE_LIMIT = Duration.ofSeconds(10);
    private static final Duration HEALTHY_AFTER = Duration.ofSeconds(10);
    private static final long BACKOFF_START_MS = 200;
    private static final long BACKOFF_MAX_MS = 5_000;

    /** How the task ended, as the {@code end} frame reported it (status may be null with an older server). */
    record End(long nextOffset, TaskStatus status, Integer exitCode) {}

    private final ApiClient api;
    private final String taskId;
    private final Duration maxOutage;
    private long offset;

    LogFollower(ApiClient api, String taskId, long offset, Duration maxOutage) {
        this.api = api;
        this.taskId = taskId;
        this.offset = offset;
        this.maxOutage = maxOutage;
    }

    /** Hands each batch of new lines to {@code sink} in order; returns when the task has ended and all lines came. */
    End follow(Consumer<List<LogLine>> sink) throws InterruptedException {
        long backoffMs = BACKOFF_START_MS;
        long outageStart = System.nanoTime();
        ApiException lastProblem = null;
        while (true) {
            Connection connection = new Connection();
            WebSocket ws = null;
            try {
                ws = api.openWebSocket(
                                ApiPaths.WS_VIEWER + "?task_id=" + URLEncoder.encode(taskId, StandardCharsets.UTF_8)
                                        + "&offset=" + offset,
                                connection)
                        .get(15, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                lastProblem = refusalOrTransient(e.getCause());
            } catch (TimeoutException e) {
                lastProblem = new ApiException("timed out opening the log stream", e);
            }
            if (ws != null) {
                long connectedAt = System.nanoTime();
                Outcome outcome = pump(ws, connection, sink);
                if (outcome.end() != null) return outcome.end();
                lastProblem = outcome.problem();
                boolean healthy = outcome.gotFrames() || System.nanoTime() - connectedAt > HEALTHY_AFTER.toNanos();
                if (healthy) {
                    backoffMs = BACKOFF_START_MS;
                    outageStart = System.nanoTime();
                }
            }
            if (System.nanoTime() - outageStart > maxOutage.toNanos()) {
                throw lastProblem != null ? lastProblem : new ApiException("log stream kept failing", null);
            }
            log.debug(
                    "log stream for {} interrupted ({}); reconnecting from offset {} in {} ms",
                    taskId,
                    lastProblem == null ? "closed" : lastProblem.getMessage(),
                    offset,
                    backoffMs);
            Thread.sleep(backoffMs);
            backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
        }
    }

    private record Outcome(End end, boolean gotFrames, ApiException problem) {}

    /** Reads one connection's frames until {@code end}, a close, an error or too long a silence. */
    private Outcome pump(WebSocket ws, Connection connection, Consumer<List<LogLine>> sink)
            throws InterruptedException {
        boolean gotFrames = false;
        JsonNode refusal = null;
        long lastPing = System.nanoTime();
        CompletableFuture<WebSocket> ping = CompletableFuture.completedFuture(ws);
        try {
            while (true) {
                Event event = connection.events.poll(1, TimeUnit.SECONDS);
                long now = System.nanoTime();
                if (ping.isCompletedExceptionally()) {
                    Throwable error = ping.exceptionNow();
                    return new Outcome(
                            null,
                            gotFrames,
                            new ApiException("log stream failed: " + NetworkErrors.describe(error), error));
                }
                if (event == null) {
                    if (now - connection.lastHeard > SILENCE_LIMIT.toNanos()) {
                        return new Outcome(null, gotFrames, new ApiException("log stream went silent", null));
                    }
                    if (now - lastPing > PING_EVERY.toNanos()) {
                        lastPing = now;
                        ping = ws.sendPing(ByteBuffer.allocate(0));
                    }
                    continue;
                }
                switch (event) {
                    case Event.Text text -> {
                        JsonNode message = parseTree(text.json());
                        if (message.has("error")) {
                            // A refusal: the server sends {"error": {...}}, then closes with 4000 + HTTP status.
                            refusal = message.path("error");
                            continue;
                        }
                        gotFrames = true;
                        ViewerFrame frame = toFrame(message);
                        if (ViewerFrame.END.equals(frame.type())) {
                            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                            return new Outcome(
                                    new End(frame.nextOffset(), frame.status(), frame.exitCode()), true, null);
                        }
                        if (ViewerFrame.LINES.equals(frame.type())) accept(frame, sink);
                    }
                    case Event.Closed closed -> {
                        ApiException problem = closeProblem(closed, refusal);
                        if (problem != null && !problem.isTransient()) throw problem;
                        return new Outcome(null, gotFrames, problem);
                    }
                    case Event.Failed failed -> {
                        return new Outcome(
                                null,
                                gotFrames,
                                new ApiException(
                                        "log stream failed: " + NetworkErrors.describe(failed.error()),
                                        failed.error()));
                    }
                }
            }
        } finally {
            ws.abort();
        }
    }

    /**
     * What a close means: null for an ordinary close (reconnect), else the refusal. Codes 4000–4999 carry an HTTP
     * status (4404: unknown task, 4401: bad token); 1008 is a policy refusal.
     */
    static ApiException closeProblem(Event.Closed closed, JsonNode refusal) {
        int code = closed.code();
        String errorCode = refusal == null ? null : refusal.path("code").asText(null);
        String errorMessage = refusal == null ? null : refusal.path("message").asText(null);
        if (code >= 4000 && code < 5000) {
            int status = code - 4000;
            return new ApiException(
                    status,
                    errorCode != null ? errorCode : "http_" + status,
                    errorMessage != null
                            ? errorMessage
                            : "the server closed the log stream: " + closed.reason() + " (code " + code + ")");
        }
        if (code == 1008) {
            return new ApiException(
                    403,
                    errorCode != null ? errorCode : ErrorCodes.FORBIDDEN,
                    errorMessage != null ? errorMessage : "the server refused the log stream: " + closed.reason());
        }
        return null;
    }

    /** Hands on the frame's lines that come at or after the current offset, then moves the offset. */
    private void accept(ViewerFrame frame, Consumer<List<LogLine>> sink) {
        List<LogLine> lines = frame.lines() == null ? List.of() : frame.lines();
        long first = frame.nextOffset() - lines.size();
        int skip = (int) Math.max(0, Math.min(lines.size(), offset - first));
        List<LogLine> fresh = lines.subList(skip, lines.size());
        if (!fresh.isEmpty()) sink.accept(fresh);
        offset = Math.max(offset, frame.nextOffset());
    }

    private static JsonNode parseTree(String json) {
        try {
            return WireJson.lenient().readTree(json);
        } catch (JsonProcessingException e) {
            throw new ApiException(
                    200, ErrorCodes.BAD_REPLY, "unreadable log stream message: " + e.getOriginalMessage());
        }
    }

    private static ViewerFrame toFrame(JsonNode message) {
        try {
            return WireJson.lenient().treeToValue(message, ViewerFrame.class);
        } catch (JsonProcessingException e) {
            throw new ApiException(200, ErrorCodes.BAD_REPLY, "unreadable log stream frame: " + e.getOriginalMessage());
        }
    }

    /** A handshake the server answered with 4xx is final (unknown task, bad token); anything else is retried. */
    private static ApiException refusalOrTransient(Throwable cause) {
        if (cause instanceof WebSocketHandshakeException refused) {
            int status = refused.getResponse().statusCode();
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                Object body = refused.getResponse().body();
                throw new ApiException(
                        status,
                        "http_" + status,
                        "the server refused the log stream"
                                + (body instanceof String s && !s.isBlank() ? ": " + s.strip() : ""));
            }
        }
        return new ApiException("cannot open the log stream: " + NetworkErrors.describe(cause), cause);
    }

    sealed interface Event {
        record Text(String json) implements Event {}

        record Closed(int code, String reason) implements Event {}

        record Failed(Throwable error) implements Event {}
    }

    /** The WebSocket listener: joins partial text frames and queues whole messages for the reading thread. */
    private static final class Connection implements WebSocket.Listener {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        volatile long lastHeard = System.nanoTime();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            lastHeard = System.nanoTime();
            partial.append(data);
            if (last) {
                events.add(new Event.Text(partial.toString()));
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
            lastHeard = System.nanoTime();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            lastHeard = System.nanoTime();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            lastHeard = System.nanoTime();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            events.add(new Event.Closed(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            events.add(new Event.Failed(error));
        }
    }
}
