package io.iacrunner.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * A token as listed: never its secret, which is shown once, when it is created. {@code kind}: user or pool.
 * {@code org}: the organisation of a user's or an owner's token (null for the site admin's and the tokens made
 * before organisations); {@code user}: the user it belongs to; {@code orgOwner}: an organisation owner's.
 */
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
        Instant revokedAt,
        String org,
        String user,
        boolean orgOwner) {}
