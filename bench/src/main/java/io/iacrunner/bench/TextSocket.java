package io.iacrunner.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A client WebSocket of text messages with a bearer token, as the agent's upload channel and the log viewer both
 * are. {@link java.net.http.WebSocket} may hand a message over in parts; this hands each whole message, in order, to
 * the consumer on the client's own thread, as soon as its last part has arrived.
 */
final class TextSocket implements AutoCloseable {
    private final WebSocket socket;
    private final CompletableFuture<String> closed;

    private TextSocket(WebSocket socket, CompletableFuture<String> closed) {
        this.socket = socket;
        this.closed = closed;
    }

    /**
     * @param pathAndQuery e.g. {@code /ws/logs?task_id=…&offset=0}, on the server at {@code base}
     * @param onMessage called with every whole text message; it should be quick, the next one waits for it
     */
    static TextSocket open(HttpClient http, URI base, String pathAndQuery, String token, Consumer<String> onMessage) {
        CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    String whole = message.toString();
                    message.setLength(0);
                    onMessage.accept(whole);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                closed.complete(status + (reason == null || reason.isEmpty() ? "" : " " + reason));
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closed.complete("error: " + error);
            }
        };
        URI uri = URI.create("ws://" + base.getRawAuthority() + pathAndQuery);
        WebSocket ws = http.newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token)
                .buildAsync(uri, listener)
                .join();
        return new TextSocket(ws, closed);
    }

    /** Sends one whole text message; returns once it is handed to the network. */
    void send(String text) {
        socket.sendText(text, true).join();
    }

    /** Completes with the close status and reason (or the error) when the connection ends. */
    CompletableFuture<String> closed() {
        return closed;
    }

    /** A normal close, waiting briefly for the server's reply to it. */
    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
                closed.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                // The connection is going away either way; abort() below makes sure of it.
            }
        }
        socket.abort();
    }
}
