package io.iacrunner.bench;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import java.net.URLEncoder;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Someone watching a task's log live on {@code /ws/logs} from its start: keeps the seq of every line it is sent, per
 * attempt, so the soak can check that the attempt that counted reached the viewer whole, once, in order. Closed
 * before the end (the replica went away, or closed it with 4503 while its store was unreachable), it opens the
 * viewer again from the offset it got to, as the web UI does, up to {@link #MAX_REOPENS} times.
 */
final class SoakViewer implements WebSocket.Listener {
    static final int MAX_REOPENS = 20;
    final String taskId;
    private final ApiClient api;
    private volatile long nextOffset;
    private volatile int reopens;
    private final StringBuilder partial = new StringBuilder();
    private final Map<Integer, List<Long>> seqsByAttempt = new HashMap<>();
    private volatile boolean ended;
    private volatile String failure;

    private SoakViewer(ApiClient api, String taskId) {
        this.api = api;
        this.taskId = taskId;
    }

    static SoakViewer open(ApiClient api, String taskId) {
        SoakViewer viewer = new SoakViewer(api, taskId);
        viewer.connect();
        return viewer;
    }

    private void connect() {
        api.openWebSocket(
                        ApiPaths.WS_VIEWER + "?task_id=" + URLEncoder.encode(taskId, StandardCharsets.UTF_8)
                                + "&offset=" + nextOffset,
                        this)
                .exceptionally(e -> {
                    reopenOrFail("could not open: " + e);
                    return null;
                });
    }

    private void reopenOrFail(String why) {
        if (ended) return;
        if (reopens >= MAX_REOPENS) {
            failure = why + " (after " + reopens + " reopens)";
            return;
        }
        reopens++;
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(1_000);
                connect();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    int reopens() {
        return reopens;
    }

    boolean ended() {
        return ended;
    }

    /** Why the viewer stopped before the end frame, or null. */
    String failure() {
        return failure;
    }

    synchronized long[] seqsOf(int attempt) {
        return seqsByAttempt.getOrDefault(attempt, List.of()).stream()
                .mapToLong(Long::longValue)
                .toArray();
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String json = partial.toString();
            partial.setLength(0);
            try {
                ViewerFrame frame = WireJson.lenient().readValue(json, ViewerFrame.class);
                if (frame.type() == null) {
                    failure = "the server refused the viewer: " + json;
                } else if (ViewerFrame.END.equals(frame.type())) {
                    ended = true;
                    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                } else if (frame.lines() != null) {
                    synchronized (this) {
                        List<Long> seqs = seqsByAttempt.computeIfAbsent(frame.attempt(), a -> new ArrayList<>());
                        for (LogLine line : frame.lines()) seqs.add(line.seq());
                    }
                    nextOffset = frame.nextOffset();
                }
            } catch (java.io.IOException | RuntimeException e) {
                failure = "unreadable frame: " + e;
            }
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        reopenOrFail("closed before the end frame: " + statusCode + " " + reason);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        reopenOrFail("failed: " + error);
    }
}
