package io.iacrunner.protocol;

import java.util.Map;

/**
 * A new token. A user token: {@code globalAdmin}, or roles per workspace in {@code workspaces}; an agent-pool token:
 * {@code poolId} (and nothing else). {@code expiresInSeconds}: null for a token that lasts until revoked. In an
 * organisation ({@code ?org=}): {@code orgOwner}, a token of its owner (the site admin makes it), or {@code user}, a
 * token of that user, whose roles are its teams' grants (the owner makes it).
 */
public record CreateTokenRequest(
        String description,
        Boolean globalAdmin,
        Map<String, Role> workspaces,
        String poolId,
        Long expiresInSeconds,
        Boolean orgOwner,
        String user) {
    public CreateTokenRequest(
            String description,
            Boolean globalAdmin,
            Map<String, Role> workspaces,
            String poolId,
            Long expiresInSeconds) {
        this(description, globalAdmin, workspaces, poolId, expiresInSeconds, null, null);
    }
}
