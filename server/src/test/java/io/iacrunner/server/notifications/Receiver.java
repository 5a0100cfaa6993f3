package io.iacrunner.server.notifications;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on loopback (the JDK's own HTTP server): keeps every request it gets and answers with the status
 * the test sets. It can be stopped and started again on the same port, as a receiver that is down for a while.
 */
final class Receiver implements AutoCloseable {
    /** One request as it arrived: the headers the server sent (lower-cased names) and the body's bytes as text. */
    record Request(Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final java.util.concurrent.atomic.AtomicLong delayMillis = new java.util.concurrent.atomic.AtomicLong();
    private final int port;
    private volatile HttpServer server;

    private Receiver() {
        server = listen(0);
        port = server.getAddress().getPort();
    }

    static Receiver start() {
        return new Receiver();
    }

    private HttpServer listen(int onPort) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
            s.createContext("/", this::handle);
            s.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> headers = new java.util.TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
        requests.add(new Request(headers, body));
        try {
            Thread.sleep(delayMillis.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] answer = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status.get(), answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    int port() {
        return port;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** What every request from now on is answered with. */
    void answer(int httpStatus) {
        status.set(httpStatus);
    }

    /** How long it takes from now on before it answers. */
    void delay(java.time.Duration delay) {
        delayMillis.set(delay.toMillis());
    }

    /** Down: connections to its port are refused. */
    void stop() {
        server.stop(0);
    }

    /** Up again on the same port. */
    void restart() {
        server = listen(port);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
