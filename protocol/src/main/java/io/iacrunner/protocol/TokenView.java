package io.iacrunner.protocol;

import java.time.Instant;
import java.util.Map;

/** A token as listed: never its secret, which is shown once, when it is created. {@code kind}: user or pool. */
public record TokenView(
        String tokenId,
        String kind,
        String description,
        boolean globalAdmin,
        Map<String, Role> workspaces,
        String poolId,
        Instant createdAt,
        Instant expiresAt,
        Instant lastUsedAt,
        Instant revokedAt) {}
