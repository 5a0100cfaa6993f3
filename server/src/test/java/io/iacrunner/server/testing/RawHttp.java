package io.iacrunner.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Sends exactly the bytes a test wants (malformed ones included) and reads status and JSON error code. */
public final class RawHttp {
    /** @param headers the reply's headers, names in lower case */
    public record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String errorCode() {
            try {
                return WireJson.lenient()
                        .readTree(body)
                        .path("error")
                        .path("code")
                        .asText(null);
            } catch (IOException e) {
                return null;
            }
        }

        public JsonNode json() {
            try {
                return WireJson.lenient().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private final URI base;
    private final HttpClient http = HttpClient.newHttpClient();

    public RawHttp(URI base) {
        this.base = base;
    }

    public Reply send(String method, String path, String token, byte[] body) {
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (body != null) headers.put("Content-Type", "application/json");
        if (token != null) headers.put("Authorization", "Bearer " + token);
        return send(method, path, headers, body);
    }

    /** Exactly {@code headers}, nothing added (no token, no content type). */
    public Reply send(String method, String path, java.util.Map<String, String> headers, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Reply send(String method, String path, String token, String body) {
        return send(method, path, token, body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
