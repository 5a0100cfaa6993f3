package io.iacrunner.agent.terraform;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * GETs from a release mirror, each bounded in size and in time. The JDK client's request timeout only covers the
 * wait for the response headers; a mirror that stalls mid-body would hold a task forever, so the whole exchange
 * runs against one deadline and is canceled when it passes (or when the waiting thread is interrupted).
 */
final class MirrorClient {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private final HttpClient http;
    private final Duration timeout;
    private final String userAgent;

    /** @param agentVersion said in each request's User-Agent, so a mirror's operator can tell which agents download */
    MirrorClient(HttpClient http, Duration timeout, String agentVersion) {
        this.http = http;
        this.timeout = timeout;
        this.userAgent = "iac-runner-agent/" + agentVersion;
    }

    /** Follows redirects (GitHub release assets are redirects), except from HTTPS to HTTP; honours the JVM's proxy settings. */
    static MirrorClient create(Duration timeout, String agentVersion) {
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .proxy(ProxySelector.getDefault())
                .build();
        return new MirrorClient(http, timeout, agentVersion);
    }

    /**
     * Writes the body of {@code url} to {@code out}.
     *
     * @return the body's SHA-256, lowercase hex
     * @throws IOException on any answer but 200 (the message has the URL and the status), on a body over
     *     {@code maxBytes}, a network failure or the deadline
     */
    String download(URI url, OutputStream out, long maxBytes) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(url)
                .GET()
                .header("User-Agent", userAgent)
                .build();
        CompletableFuture<HttpResponse<String>> exchange = http.sendAsync(
                request,
                info -> info.statusCode() == 200 ? new DigestingSink(out, maxBytes) : BodySubscribers.replacing(null));
        HttpResponse<String> response;
        try {
            response = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new IOException(url + " did not answer in full within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new IOException(url + ": " + why, cause);
        }
        if (response.statusCode() != 200) throw new IOException(url + " answered HTTP " + response.statusCode());
        return response.body();
    }

    /** Writes the body through while hashing it, and gives up as soon as it is larger than allowed. */
    private static final class DigestingSink implements BodySubscriber<String> {
        private final OutputStream out;
        private final long maxBytes;
        private final MessageDigest digest = sha256();
        private final CompletableFuture<String> result = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private long received;

        DigestingSink(OutputStream out, long maxBytes) {
            this.out = out;
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) return; // failed or canceled: the rest is not wanted
            try {
                for (ByteBuffer buffer : buffers) {
                    received += buffer.remaining();
                    if (received > maxBytes) throw new IOException("larger than " + maxBytes + " bytes");
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    digest.update(bytes);
                    out.write(bytes);
                }
                subscription.request(1);
            } catch (IOException e) {
                subscription.cancel();
                result.completeExceptionally(e);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(HexFormat.of().formatHex(digest.digest()));
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
