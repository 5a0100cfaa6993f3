package io.iacrunner.server.auth;

import io.iacrunner.protocol.Role;
import io.iacrunner.server.problems.ApiProblem;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * Turns an {@code Authorization: Bearer …} header into a principal of the required kind, and checks a user's role in
 * a workspace. A missing or invalid token is 401; a valid token of the wrong kind, or a role too small, is 403; a
 * workspace (or a task, a log, a state in it) the token may not even read is a 404, exactly as if it did not exist.
 */
public final class Authenticator {
    private final Tokens jwts;
    private final ApiTokens apiTokens;

    public Authenticator(Tokens jwts, ApiTokens apiTokens) {
        this.jwts = jwts;
        this.apiTokens = apiTokens;
    }

    public Principal any(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw ApiProblem.unauthorized("missing Authorization: Bearer token");
        }
        String[] parts = authorizationHeader.trim().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw ApiProblem.unauthorized("Authorization header must be 'Bearer <token>'");
        }
        return bearer(parts[1]);
    }

    private Principal bearer(String token) {
        if (token.length() > 4096) throw ApiProblem.unauthorized("invalid token");
        return ApiTokens.looksLikeApiToken(token) ? apiTokens.verify(token) : jwts.verify(token);
    }

    public Principal.User user(String authorizationHeader) {
        return user(any(authorizationHeader));
    }

    /**
     * A user token sent as Terraform's {@code http} backend sends it, as the password of basic auth (the user name is
     * anything: Terraform sends basic auth only when it has one), or as a bearer token like every other client.
     */
    public Principal.User basicOrBearer(String authorizationHeader) {
        if (authorizationHeader == null) return user((String) null);
        String[] parts = authorizationHeader.trim().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Basic")) return user(authorizationHeader);
        String credentials;
        try {
            credentials = new String(Base64.getDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.unauthorized("Authorization: Basic must be base64 of user:token");
        }
        int colon = credentials.indexOf(':');
        if (colon < 0 || colon == credentials.length() - 1) {
            throw ApiProblem.unauthorized(
                    "Authorization: Basic needs a token as its password (TF_HTTP_PASSWORD) and any user name");
        }
        return user(bearer(credentials.substring(colon + 1)));
    }

    /** For a principal proven otherwise (a WebSocket ticket): the same 403 as for a token of the wrong kind. */
    public Principal.User user(Principal principal) {
        if (principal instanceof Principal.User user) return user;
        throw ApiProblem.forbidden("this needs a user token");
    }

    public Principal.User globalAdmin(String authorizationHeader) {
        Principal.User user = user(authorizationHeader);
        if (!user.globalAdmin()) throw ApiProblem.forbidden("this needs a global admin token");
        return user;
    }

    /** A user token with at least {@code role} in the workspace; {@code hidden} is thrown when it may not even read it. */
    public Principal.User inWorkspace(
            String authorizationHeader, String workspaceId, Role role, Supplier<ApiProblem> hidden) {
        Principal.User user = user(authorizationHeader);
        require(user, workspaceId, role, hidden);
        return user;
    }

    /**
     * The refusal for a call that may create its workspace (queue, set a variable or settings) by a token without a
     * role there: 403, the same whether the workspace exists or not.
     */
    public static ApiProblem noRole(String workspaceId) {
        return ApiProblem.forbidden("this token has no role in workspace " + workspaceId);
    }

    public static void require(Principal.User user, String workspaceId, Role role, Supplier<ApiProblem> hidden) {
        Role held = user.roleIn(workspaceId).orElseThrow(hidden);
        if (!held.includes(role)) {
            throw ApiProblem.forbidden("this needs the " + role.wireName() + " role in workspace " + workspaceId
                    + "; the token has " + held.wireName());
        }
    }

    public Principal.PoolMember pool(String authorizationHeader) {
        if (any(authorizationHeader) instanceof Principal.PoolMember pool) return pool;
        throw ApiProblem.forbidden("this needs an agent pool token");
    }

    public Principal.Agent agent(String authorizationHeader) {
        if (any(authorizationHeader) instanceof Principal.Agent agent) return agent;
        throw ApiProblem.forbidden("this needs an agent token (from /agents/register)");
    }

    /** The job token of this task; one of another task, or any other credential, may not upload for it. */
    public Principal.Job job(String authorizationHeader, String taskId) {
        if (any(authorizationHeader) instanceof Principal.Job job) {
            if (job.taskId().equals(taskId)) return job;
            throw ApiProblem.forbidden("this job token is for another task");
        }
        throw ApiProblem.forbidden("uploads for a task need its job token (from the claim)");
    }

    /** The job's own attempt: a job token cannot speak for another attempt of its task. */
    public static void requireAttempt(Principal.Job job, int attempt) {
        if (job.attempt() != attempt) {
            throw ApiProblem.forbidden("this job token is for attempt " + job.attempt() + ", not " + attempt);
        }
    }
}
