package io.iacrunner.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * JSON over HTTP to the server, used by the agent and the CLI alike. Every non-2xx reply becomes an
 * {@link ApiException} carrying the server's error code; connection failures become status 0.
 */
public final class ApiClient {
    private final URI base;
    private final Supplier<String> token;
    private final Transport transport;
    private final HttpClient http;
    private final ObjectMapper json = WireJson.lenient();

    /** To a loopback server over plain HTTP, or over HTTPS trusting the system's CAs. */
    public ApiClient(URI base, Supplier<String> token) {
        this(base, token, Transport.DEFAULT);
    }

    /** @throws IllegalArgumentException plain HTTP to another machine that {@code transport} does not allow */
    public ApiClient(URI base, Supplier<String> token, Transport transport) {
        this(URI.create(stripTrailingSlash(base.toString())), token, transport, null);
        transport.check(this.base);
    }

    private ApiClient(URI base, Supplier<String> token, Transport transport, HttpClient shared) {
        this.base = base;
        this.token = token;
        this.transport = transport;
        this.http = shared != null ? shared : transport.client();
    }

    /** The same server and transport, another credential (an attempt's job token, say). */
    public ApiClient withToken(Supplier<String> other) {
        return new ApiClient(base, other, transport, http);
    }

    public URI base() {
        return base;
    }

    public <T> T get(String path, Class<T> type) {
        return send("GET", path, null, type, Duration.ofSeconds(30));
    }

    public <T> T post(String path, Object body, Class<T> type) {
        return send("POST", path, body, type, Duration.ofSeconds(30));
    }

    public <T> T put(String path, Object body, Class<T> type) {
        return send("PUT", path, body, type, Duration.ofSeconds(30));
    }

    public void delete(String path) {
        send("DELETE", path, null, Void.class, Duration.ofSeconds(30));
    }

    /** A request allowed to wait long on the server (a long poll); the timeout covers the whole exchange. */
    public <T> T post(String path, Object body, Class<T> type, Duration timeout) {
        return send("POST", path, body, type, timeout);
    }

    public String getText(String path) {
        HttpResponse<String> response = exchange(request("GET", path, null, Duration.ofMinutes(5)));
        return response.body();
    }

    private <T> T send(String method, String path, Object body, Class<T> type, Duration timeout) {
        HttpResponse<String> response = exchange(request(method, path, body, timeout));
        if (type == Void.class || response.body().isEmpty()) return null;
        try {
            return json.readValue(response.body(), type);
        } catch (JsonProcessingException e) {
            throw new ApiException(response.statusCode(), "bad_reply", "unreadable reply to " + path + ": " + e.getOriginalMessage());
        }
    }

    private HttpRequest request(String method, String path, Object body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Accept", "application/json");
        String bearer = token.get();
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json");
            try {
                b.method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot encode request body", e);
            }
        }
        return b.build();
    }

    private HttpResponse<String> exchange(HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiException(request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted while calling " + request.uri(), e);
        }
        if (response.statusCode() / 100 != 2) throw errorOf(response);
        return response;
    }

    private ApiException errorOf(HttpResponse<String> response) {
        return errorOf(response.statusCode(), response.body());
    }

    /** The server's refusal from its status and error body ({@code {"error":{"code":…,"message":…}}}). */
    public static ApiException errorOf(int status, String body) {
        try {
            JsonNode error = WireJson.lenient().readTree(body).path("error");
            if (error.has("code")) return new ApiException(status, error.path("code").asText(), error.path("message").asText());
        } catch (JsonProcessingException ignored) {
            // Not our error shape (a proxy's page, say): report the raw status below.
        }
        return new ApiException(status, "http_" + status, body);
    }

    /** Opens a WebSocket to {@code pathAndQuery} on the same server, with the same bearer token. */
    public CompletableFuture<WebSocket> openWebSocket(String pathAndQuery, WebSocket.Listener listener) {
        String scheme = base.getScheme().equals("https") ? "wss" : "ws";
        URI uri = URI.create(scheme + "://" + base.getRawAuthority() + pathAndQuery);
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        String bearer = token.get();
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return b.buildAsync(uri, listener);
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
