package io.iacrunner.server.auth;

import io.iacrunner.server.web.ApiProblem;

/**
 * Turns an {@code Authorization: Bearer …} header into a principal of the required kind. A missing or invalid token
 * is 401; a valid token of the wrong kind is 403.
 */
public final class Authenticator {
    private final Tokens tokens;

    public Authenticator(Tokens tokens) {
        this.tokens = tokens;
    }

    public Principal any(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw ApiProblem.unauthorized("missing Authorization: Bearer token");
        }
        String[] parts = authorizationHeader.trim().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw ApiProblem.unauthorized("Authorization header must be 'Bearer <token>'");
        }
        return tokens.verify(parts[1]);
    }

    public Principal.Admin admin(String authorizationHeader) {
        return admin(any(authorizationHeader));
    }

    /** For a principal proven otherwise (a WebSocket ticket): the same 403 as for a token of the wrong kind. */
    public Principal.Admin admin(Principal principal) {
        if (principal instanceof Principal.Admin admin) return admin;
        throw ApiProblem.forbidden("this needs an admin token");
    }

    public Principal.PoolMember pool(String authorizationHeader) {
        if (any(authorizationHeader) instanceof Principal.PoolMember pool) return pool;
        throw ApiProblem.forbidden("this needs an agent pool token");
    }

    public Principal.Agent agent(String authorizationHeader) {
        if (any(authorizationHeader) instanceof Principal.Agent agent) return agent;
        throw ApiProblem.forbidden("this needs an agent token (from /agents/register)");
    }
}
