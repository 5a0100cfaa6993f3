package io.iacrunner.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Collects a WebSocket's whole text frames (they may arrive in parts) and its close code. */
public final class WsFrames implements WebSocket.Listener {
    public final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            texts.add(partial.toString());
            partial.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        closed.complete(code);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.completeExceptionally(error);
    }

    /** The next frame, waiting up to 10 s for it. */
    public String next() throws InterruptedException {
        String t = texts.poll(10, TimeUnit.SECONDS);
        assertThat(t).as("a frame within 10 s").isNotNull();
        return t;
    }

    /** Every frame received so far, joined by newlines. */
    public String all() {
        List<String> frames = new ArrayList<>(texts);
        return String.join("\n", frames);
    }
}
