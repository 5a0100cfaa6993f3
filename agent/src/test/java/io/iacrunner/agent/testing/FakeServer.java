package io.iacrunner.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.iacrunner.protocol.ApiError;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The server's HTTP side as the agent sees it, on a random loopback port: routes by method and path template
 * ({@code {task_id}} matches one segment), replies in the wire JSON, and records every request.
 */
public final class FakeServer implements AutoCloseable {
    public static final ObjectMapper JSON = WireJson.lenient();

    public record Request(String method, String path, String bearer, JsonNode body, int bodyBytes, Instant at) {
        public <T> T as(Class<T> type) {
            try {
                return JSON.treeToValue(body, type);
            } catch (IOException e) {
                throw new AssertionError("request to " + path + " is not a " + type.getSimpleName() + ": " + body, e);
            }
        }

        /** The value of the template's one placeholder, e.g. the task id. */
        public String pathParameter(String template) {
            String[] want = template.split("/");
            String[] got = path.split("/");
            for (int i = 0; i < want.length; i++) {
                if (want[i].startsWith("{")) return got[i];
            }
            throw new IllegalArgumentException(template + " has no placeholder");
        }
    }

    public record Reply(int status, Object body) {
        public static Reply ok(Object body) {
            return new Reply(200, body);
        }

        public static Reply error(int status, String code, String message) {
            return new Reply(status, ApiError.of(code, message));
        }
    }

    @FunctionalInterface
    public interface Handler {
        Reply handle(Request request) throws Exception;
    }

    private record Route(String method, String template, Handler handler) {
        boolean matches(String m, String path) {
            if (!method.equals(m)) return false;
            String[] want = template.split("/");
            String[] got = path.split("/");
            if (want.length != got.length) return false;
            for (int i = 0; i < want.length; i++) {
                if (!want[i].startsWith("{") && !want[i].equals(got[i])) return false;
            }
            return true;
        }
    }

    private final HttpServer http;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Route> routes = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    public FakeServer() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // Many threads, as a real server has: a single one would serialise requests and hide concurrency bugs.
        http.setExecutor(executor);
        http.createContext("/", this::dispatch);
        http.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** Adds a route; a later route for the same method and path replaces the earlier one. */
    public void on(String method, String template, Handler handler) {
        routes.removeIf(r -> r.method().equals(method) && r.template().equals(template));
        routes.add(new Route(method, template, handler));
    }

    public List<Request> requests(String method, String template) {
        List<Request> matching = new ArrayList<>();
        for (Request r : requests) {
            if (new Route(method, template, null).matches(r.method(), r.path())) matching.add(r);
        }
        return matching;
    }

    private void dispatch(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            byte[] raw = exchange.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            Request request = new Request(
                    method,
                    path,
                    auth == null ? null : auth.replaceFirst("^Bearer ", ""),
                    body,
                    raw.length,
                    Instant.now());
            requests.add(request);
            Reply reply;
            try {
                reply = routes.stream()
                        .filter(r -> r.matches(method, path))
                        .findFirst()
                        .map(r -> {
                            try {
                                return r.handler().handle(request);
                            } catch (Exception e) {
                                return Reply.error(500, "internal", e.toString());
                            }
                        })
                        .orElse(Reply.error(404, "not_found", method + " " + path));
            } catch (RuntimeException e) {
                reply = Reply.error(500, "internal", e.toString());
            }
            byte[] out = reply.body() == null ? new byte[0] : JSON.writeValueAsBytes(reply.body());
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
