package io.iacrunner.protocol;

import java.time.Instant;
import java.util.List;

/**
 * Server → agent: the pool's current settings; tasks the agent must stop (canceled by a user, or no longer its own);
 * a fresh agent token when the old one nears expiry (else null); and the lease: an agent that has not pinged
 * successfully for {@code leaseSeconds} has lost its tasks and must stop them itself.
 */
public record PingReply(
        PoolConfig pool, List<CancelOrder> cancel, String agentToken, Instant agentTokenExpiresAt, int leaseSeconds) {}
