package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A viewer on {@code /ws/logs}: whole frames, in order, queued for the test thread. A viewer that is not {@code
 * reading} never asks for a message (not even the first, which the default {@code onOpen} would), so the client
 * takes nothing off the socket until {@link #resume()}.
 */
final class LiveViewer implements WebSocket.Listener {
    sealed interface Event {}

    record Frame(ViewerFrame frame) implements Event {}

    record Closed(int code, String reason) implements Event {}

    record Failed(Throwable error) implements Event {}

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private final AtomicInteger textEvents = new AtomicInteger();
    private volatile boolean reading;
    private volatile WebSocket ws;

    private LiveViewer(boolean reading) {
        this.reading = reading;
    }

    static LiveViewer open(ApiClient admin, String taskId, long offset, boolean reading) throws Exception {
        LiveViewer viewer = new LiveViewer(reading);
        viewer.ws = admin.openWebSocket(
                        ApiPaths.WS_VIEWER + "?task_id=" + URLEncoder.encode(taskId, StandardCharsets.UTF_8)
                                + "&offset=" + offset,
                        viewer)
                .get(15, TimeUnit.SECONDS);
        return viewer;
    }

    WebSocket ws() {
        return ws;
    }

    /** Text messages (or parts of them) delivered so far. */
    int textEvents() {
        return textEvents.get();
    }

    void resume() {
        reading = true;
        ws.request(1);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        ws = webSocket;
        if (reading) webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        textEvents.incrementAndGet();
        partial.append(data);
        if (last) {
            String json = partial.toString();
            partial.setLength(0);
            try {
                JsonNode message = WireJson.lenient().readTree(json);
                if (message.has("error"))
                    events.add(new Failed(new AssertionError("the server refused the viewer: " + json)));
                else events.add(new Frame(WireJson.lenient().treeToValue(message, ViewerFrame.class)));
            } catch (IOException | RuntimeException e) {
                events.add(new Failed(e));
            }
        }
        if (reading) webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        if (reading) webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        if (reading) webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        events.add(new Failed(new AssertionError("unexpected binary message")));
        if (reading) webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        events.add(new Closed(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        events.add(new Failed(error));
    }

    /** The next frame; a close, an error or {@code within} without a frame fails the test. */
    ViewerFrame next(Duration within) throws InterruptedException {
        Event event = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        return switch (event) {
            case null -> throw new AssertionError("no viewer frame within " + within);
            case Frame f -> f.frame();
            case Closed c -> throw new AssertionError("the viewer was closed before the end frame: " + c);
            case Failed f -> throw new AssertionError("the viewer failed: " + f.error(), f.error());
        };
    }

    /** Every frame up to and including {@code end}; the viewer then closes. */
    List<ViewerFrame> untilEnd(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        List<ViewerFrame> frames = new ArrayList<>();
        while (true) {
            ViewerFrame frame = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            frames.add(frame);
            if (ViewerFrame.END.equals(frame.type())) {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                return frames;
            }
            assertThat(frame.type()).as("frame type").isEqualTo(ViewerFrame.LINES);
        }
    }

    /** Every frame up to and including {@code end}, or up to a close by the server. */
    List<ViewerFrame> untilEndOrClose(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        List<ViewerFrame> frames = new ArrayList<>();
        while (true) {
            Event event = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            switch (event) {
                case null -> throw new AssertionError("neither an end frame nor a close within " + within);
                case Frame f -> {
                    frames.add(f.frame());
                    if (ViewerFrame.END.equals(f.frame().type())) {
                        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                        return frames;
                    }
                }
                case Closed c -> {
                    return frames;
                }
                case Failed f -> throw new AssertionError("the viewer failed: " + f.error(), f.error());
            }
        }
    }
}
