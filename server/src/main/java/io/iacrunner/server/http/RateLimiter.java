package io.iacrunner.server.http;

import io.github.bucket4j.ConsumptionProbe;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.server.cluster.RateBuckets;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * A token bucket per client for endpoints that mint credentials (agent registration, token creation): a leaked pool
 * token, or a script gone wrong, cannot register thousands of agents or tokens. Over the limit is
 * {@code 429 rate_limited} with {@code Retry-After}. The buckets are the relay's ({@link RateBuckets}): shared by every
 * replica when they share Redis, this replica's own otherwise.
 *
 * <p>Who "a client" is depends on the endpoint ({@link #perAddress} or {@link #perCredential}): agents register with
 * their pool's token, and a fleet behind one NAT address is many legitimate clients at one address.
 */
public final class RateLimiter {
    private final String what;
    private final long perMinute;
    private final long burst;
    private final String unit;
    private final RateBuckets buckets;
    private final Function<Context, String> client;

    private RateLimiter(
            String what,
            long perMinute,
            long burst,
            String unit,
            RateBuckets buckets,
            Function<Context, String> client) {
        this.what = what;
        this.perMinute = perMinute;
        this.burst = burst;
        this.unit = unit;
        this.buckets = buckets;
        this.client = client;
    }

    /** {@code perMinute} a minute from one client address, which is also the burst a quiet address may use at once. */
    public static RateLimiter perAddress(String what, long perMinute, RateBuckets buckets) {
        return new RateLimiter(what, perMinute, perMinute, "from one address", buckets, Context::ip);
    }

    /**
     * {@code perMinute} a minute, after a burst of {@code burst}, for each credential presented (whatever the address):
     * keyed by a hash of the Authorization header, so no store lookup comes before the limit.
     */
    public static RateLimiter perCredential(String what, long perMinute, long burst, RateBuckets buckets) {
        return new RateLimiter(
                what,
                perMinute,
                burst,
                "with one credential",
                buckets,
                ctx -> "credential:" + digest(String.valueOf(ctx.header("Authorization"))));
    }

    /** {@code handler}, behind this limit: over it, the request is refused before anything else is looked at. */
    public Handler limit(Handler handler) {
        return ctx -> {
            check(ctx);
            handler.handle(ctx);
        };
    }

    private void check(Context ctx) {
        ConsumptionProbe probe = buckets.tryConsume(what + ":" + client.apply(ctx), perMinute, burst);
        if (probe.isConsumed()) return;
        long seconds =
                Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1);
        ctx.header("Retry-After", Long.toString(seconds));
        throw new ApiProblem(
                429,
                ErrorCodes.RATE_LIMITED,
                what + ": at most " + perMinute + " a minute " + unit + "; retry in " + seconds + " s");
    }

    private static String digest(String value) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
