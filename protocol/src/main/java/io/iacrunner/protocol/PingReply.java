package io.iacrunner.protocol;

import java.time.Instant;
import java.util.List;

/**
 * Server → agent: the pool's current settings, tasks the agent must stop (canceled, or no longer its own), and a
 * fresh agent token when the old one nears expiry (else null).
 */
public record PingReply(
        PoolConfig pool, List<String> cancelTaskIds, String agentToken, Instant agentTokenExpiresAt) {}
