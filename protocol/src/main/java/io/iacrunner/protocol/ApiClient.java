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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON over HTTP to the server, used by the agent and the CLI alike. Every non-2xx reply becomes an
 * {@link ApiException} carrying the server's error code; connection failures become status 0.
 *
 * <p>It may know several replicas of one server. It talks to one at a time, and moves to the next when that one
 * cannot be reached or answers 502/503/504 (a replica shutting down answers 503): the failed call still throws, and
 * the caller's retry, which every caller of a transient failure does, goes to the next replica.
 */
public final class ApiClient {
    private static final Logger log = LoggerFactory.getLogger(ApiClient.class);
    private final List<URI> bases;
    private final AtomicInteger current;
    private final Supplier<String> token;
    private final Transport transport;
    private final HttpClient http;
    private final ObjectMapper json = WireJson.lenient();
    /** The organisation every request names ({@code ?org=}); null: none, the server's default. */
    private final String org;

    /** To a loopback server over plain HTTP, or over HTTPS trusting the system's CAs. */
    public ApiClient(URI base, Supplier<String> token) {
        this(List.of(base), token, Transport.DEFAULT);
    }

    public ApiClient(URI base, Supplier<String> token, Transport transport) {
        this(List.of(base), token, transport);
    }

    /**
     * @param bases the replicas, tried in this order (the first one first)
     * @throws IllegalArgumentException plain HTTP to another machine that {@code transport} does not allow
     */
    public ApiClient(List<URI> bases, Supplier<String> token, Transport transport) {
        this(normalized(bases), token, transport, transport.client(), new AtomicInteger());
        this.bases.forEach(transport::check);
    }

    private ApiClient(
            List<URI> bases, Supplier<String> token, Transport transport, HttpClient http, AtomicInteger current) {
        this(bases, token, transport, http, current, null);
    }

    private ApiClient(
            List<URI> bases,
            Supplier<String> token,
            Transport transport,
            HttpClient http,
            AtomicInteger current,
            String org) {
        this.bases = bases;
        this.token = token;
        this.transport = transport;
        this.http = http;
        this.current = current;
        this.org = org;
    }

    /**
     * The same client, naming organisation {@code org} on every request ({@code ?org=ORG}, unless the path names one
     * already); null or {@code default}: none, exactly the requests of before organisations.
     */
    public ApiClient withOrg(String org) {
        return new ApiClient(bases, token, transport, http, current, org == null || org.equals("default") ? null : org);
    }

    /** {@code path} with the client's organisation added to its query. */
    String scoped(String path) {
        if (org == null || path.contains("?org=") || path.contains("&org=")) return path;
        return path + (path.contains("?") ? "&" : "?") + "org="
                + java.net.URLEncoder.encode(org, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The same replicas, transport and failover state, another credential (an attempt's job token, say). */
    public ApiClient withToken(Supplier<String> other) {
        return new ApiClient(bases, other, transport, http, current, org);
    }

    private static List<URI> normalized(List<URI> bases) {
        if (bases.isEmpty()) throw new IllegalArgumentException("no server URL");
        return bases.stream()
                .map(b -> URI.create(stripTrailingSlash(b.toString())))
                .toList();
    }

    /** The replica calls go to now. */
    public URI base() {
        return bases.get(Math.floorMod(current.get(), bases.size()));
    }

    /** After a failure of the replica at {@code index}: the next one, unless another caller has moved on already. */
    private void failedOver(int index) {
        if (bases.size() > 1 && current.compareAndSet(index, index + 1)) {
            log.info("{} failed; using {} now", bases.get(Math.floorMod(index, bases.size())), base());
        }
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
            throw new ApiException(
                    response.statusCode(),
                    ErrorCodes.BAD_REPLY,
                    "unreadable reply to " + path + ": " + e.getOriginalMessage());
        }
    }

    private HttpRequest request(String method, String path, Object body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(scoped(path)))
                .timeout(timeout)
                .header("Accept", "application/json");
        String bearer = token.get();
        if (bearer != null) b.header("Authorization", "Bearer " + requireHeaderSafe(bearer));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json");
            byte[] bytes = encode(body);
            if (bytes.length > Limits.MAX_BODY_BYTES) {
                // The server would refuse it; say so without sending 16 MiB and more first.
                throw new ApiException(
                        413,
                        ErrorCodes.BODY_TOO_LARGE,
                        "the request body would be " + bytes.length + " bytes, over the server's limit of "
                                + Limits.maxBody() + "; it was not sent");
            }
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
        }
        return b.build();
    }

    /** The JSON a request sends for {@code body}: what its size is checked against {@link Limits#MAX_BODY_BYTES}. */
    public static byte[] encode(Object body) {
        try {
            return WireJson.lenient().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode the request body: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A token becomes a header value: one with a line break or another control character would be refused by the
     * HTTP client with the whole header, token included, in its message. Refused here, naming no part of it.
     */
    private static String requireHeaderSafe(String bearer) {
        for (int i = 0; i < bearer.length(); i++) {
            char c = bearer.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException(
                        "the token holds a line break, a space or another character no token has;"
                                + " a token file must hold the token alone, on one line");
            }
        }
        return bearer;
    }

    private HttpResponse<String> exchange(HttpRequest request) {
        int replica = current.get();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            failedOver(replica);
            throw new ApiException(request.uri() + ": " + NetworkErrors.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted while calling " + request.uri(), e);
        }
        int status = response.statusCode();
        if (status == 502 || status == 503 || status == 504) failedOver(replica);
        if (status / 100 != 2) throw errorOf(response);
        return response;
    }

    private ApiException errorOf(HttpResponse<String> response) {
        return errorOf(response.statusCode(), response.body());
    }

    /** The server's refusal from its status and error body ({@code {"error":{"code":…,"message":…}}}). */
    public static ApiException errorOf(int status, String body) {
        try {
            JsonNode error = WireJson.lenient().readTree(body).path("error");
            if (error.has("code"))
                return new ApiException(
                        status,
                        error.path("code").asText(),
                        error.path("message").asText());
        } catch (JsonProcessingException ignored) {
            // Not our error shape (a proxy's page, say): report the raw status below.
        }
        return new ApiException(status, "http_" + status, body);
    }

    /** Opens a WebSocket to {@code pathAndQuery} on the same server, with the same bearer token. */
    public CompletableFuture<WebSocket> openWebSocket(String pathAndQuery, WebSocket.Listener listener) {
        URI base = base();
        String scheme = base.getScheme().equals("https") ? "wss" : "ws";
        URI uri = URI.create(scheme + "://" + base.getRawAuthority() + scoped(pathAndQuery));
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        String bearer = token.get();
        if (bearer != null) b.header("Authorization", "Bearer " + requireHeaderSafe(bearer));
        return b.buildAsync(uri, listener);
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
