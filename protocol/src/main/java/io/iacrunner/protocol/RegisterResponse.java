package io.iacrunner.protocol;

import java.time.Instant;

/**
 * The pool token is exchanged for an agent token (a JWT bound to this agent id) used for everything else; it is
 * renewed through ping replies, so a leaked copy goes stale. {@code leaseSeconds}: see {@link PingReply}.
 */
public record RegisterResponse(
        String agentId,
        String agentToken,
        Instant agentTokenExpiresAt,
        PoolConfig pool,
        int pingIntervalSeconds,
        int leaseSeconds) {}
