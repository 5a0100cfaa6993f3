package io.iacrunner.server.http;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per client address for endpoints that mint credentials (agent registration, token creation): a
 * leaked pool token, or a script gone wrong, cannot register thousands of agents or tokens. Over the limit is
 * {@code 429 rate_limited} with {@code Retry-After}.
 */
public final class RateLimiter {
    private static final int MAX_TRACKED_ADDRESSES = 10_000;

    private final String what;
    private final long perMinute;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** @param perMinute the sustained rate, which is also the burst a quiet client may use at once */
    public RateLimiter(String what, long perMinute) {
        this.what = what;
        this.perMinute = perMinute;
    }

    /** {@code handler}, behind this limit: over it, the request is refused before anything else is looked at. */
    public Handler limit(Handler handler) {
        return ctx -> {
            check(ctx);
            handler.handle(ctx);
        };
    }

    private void check(Context ctx) {
        if (buckets.size() > MAX_TRACKED_ADDRESSES) buckets.clear(); // forgetting grants a fresh burst: harmless
        Bucket bucket = buckets.computeIfAbsent(
                ctx.ip(),
                ip -> Bucket.builder()
                        .addLimit(Bandwidth.builder()
                                .capacity(perMinute)
                                .refillGreedy(perMinute, Duration.ofMinutes(1))
                                .build())
                        .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) return;
        long seconds =
                Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1);
        ctx.header("Retry-After", Long.toString(seconds));
        throw new ApiProblem(
                429,
                ErrorCodes.RATE_LIMITED,
                what + ": at most " + perMinute + " a minute from one address; retry in " + seconds + " s");
    }
}
