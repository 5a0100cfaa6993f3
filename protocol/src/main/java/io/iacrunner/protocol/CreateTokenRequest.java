package io.iacrunner.protocol;

import java.util.Map;

/**
 * A new token. A user token: {@code globalAdmin}, or roles per workspace in {@code workspaces}; an agent-pool token:
 * {@code poolId} (and nothing else). {@code expiresInSeconds}: null for a token that lasts until revoked.
 */
public record CreateTokenRequest(
        String description, Boolean globalAdmin, Map<String, Role> workspaces, String poolId, Long expiresInSeconds) {}
