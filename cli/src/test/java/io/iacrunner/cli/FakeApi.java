package io.iacrunner.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A stand-in server on a random loopback port: canned replies per path, every request recorded. */
final class FakeApi implements AutoCloseable {
    record Request(String method, String path, String query, String authorization, String body) {}

    record Reply(int status, String body) {
        static Reply ok(String body) {
            return new Reply(200, body);
        }

        static Reply error(int status, String code, String message) {
            return new Reply(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
        }
    }

    private final HttpServer http;
    private final Map<String, Function<Request, Reply>> routes = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeApi() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", this::handle);
        http.start();
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** Replies to {@code method path} (path without query) with {@code reply}, computed per request. */
    FakeApi on(String method, String path, Function<Request, Reply> reply) {
        routes.put(method + " " + path, reply);
        return this;
    }

    FakeApi on(String method, String path, Reply reply) {
        return on(method, path, r -> reply);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Request request = new Request(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    body);
            requests.add(request);
            Function<Request, Reply> route = routes.get(request.method() + " " + request.path());
            Reply reply =
                    route == null ? Reply.error(404, "not_found", "no route " + request.path()) : route.apply(request);
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) exchange.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
