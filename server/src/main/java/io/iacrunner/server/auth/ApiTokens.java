package io.iacrunner.server.auth;

import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenList;
import io.iacrunner.protocol.TokenView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * The tokens people hand out: user tokens (global admin, or roles per workspace) and agent-pool tokens (register
 * agents into one pool). Each is {@code iacrt_<id>_<secret>}: 256 random bits of secret, shown once; the store keeps
 * only its SHA-256 (a fast hash is right for a random secret: there is nothing to guess), so a database dump holds no
 * usable token. The id finds the row and names the token in lists and the audit log.
 */
public final class ApiTokens {
    static final String PREFIX = "iacrt_";
    private static final Pattern FORMAT = Pattern.compile("iacrt_([0-9a-z]{16})_([A-Za-z0-9_-]{43})");
    private static final int MAX_GRANTS = 100;
    private static final Duration MAX_LIFETIME = Duration.ofDays(3650);

    private final Jdbi jdbi;
    private final ApiTokenStore store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public ApiTokens(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.store = new ApiTokenStore(jdbi);
        this.clock = clock;
    }

    static boolean looksLikeApiToken(String token) {
        return token.startsWith(PREFIX);
    }

    public TokenCreated create(CreateTokenRequest request) {
        String description =
                request.description() == null ? "" : request.description().strip();
        if (description.length() > 200)
            throw ApiProblem.badRequest("invalid_description", "description is at most 200 characters");
        Instant expires = expiry(request.expiresInSeconds());
        boolean admin = Boolean.TRUE.equals(request.globalAdmin());
        Map<String, Role> grants = request.workspaces() == null ? Map.of() : new TreeMap<>(request.workspaces());
        if (request.poolId() != null) {
            if (admin || !grants.isEmpty()) {
                throw ApiProblem.badRequest(
                        "pool_token_with_grants",
                        "an agent-pool token registers agents and nothing else:"
                                + " give pool_id alone, or global_admin / workspaces alone");
            }
            Ids.requireName(request.poolId(), "invalid_pool_id", "pool ids");
            return issue("pool", description, false, request.poolId(), expires, Map.of(), ApiTokenStore.Owner.NONE);
        }
        if (admin == !grants.isEmpty()) {
            throw ApiProblem.badRequest(
                    admin ? "admin_token_with_grants" : "token_without_rights",
                    admin
                            ? "a global admin token can do everything: leave workspaces out"
                            : "say what the token may do: global_admin, workspaces {WS: read|plan|apply|admin}, or pool_id");
        }
        if (grants.size() > MAX_GRANTS)
            throw ApiProblem.badRequest("too_many_grants", "at most " + MAX_GRANTS + " workspaces per token");
        grants.forEach((workspace, role) -> {
            Ids.requireWorkspaceId(workspace);
            if (role == null)
                throw ApiProblem.badRequest(
                        "invalid_role", "workspace " + workspace + " needs a role: read, plan, apply or admin");
        });
        return issue("user", description, admin, null, expires, grants, ApiTokenStore.Owner.NONE);
    }

    /**
     * A token in an organisation: its owner's ({@code request.orgOwner()}) or a user's ({@code request.user()}), and
     * nothing else in the request. The organisation exists (the caller checked it may see it).
     */
    public TokenCreated createInOrg(String org, CreateTokenRequest request) {
        String description =
                request.description() == null ? "" : request.description().strip();
        if (description.length() > 200)
            throw ApiProblem.badRequest("invalid_description", "description is at most 200 characters");
        boolean owner = Boolean.TRUE.equals(request.orgOwner());
        if (owner == (request.user() != null)
                || Boolean.TRUE.equals(request.globalAdmin())
                || request.poolId() != null
                || (request.workspaces() != null && !request.workspaces().isEmpty())) {
            throw ApiProblem.badRequest(
                    "invalid_org_token",
                    "a token of organisation " + org + " is its owner's (org_owner) or one user's (user), nothing else:"
                            + " a user's roles are its teams' grants");
        }
        if (!owner) Ids.requireName(request.user(), "invalid_user", "user names");
        return issue(
                "user",
                description,
                false,
                null,
                expiry(request.expiresInSeconds()),
                Map.of(),
                new ApiTokenStore.Owner(org, owner ? null : request.user(), owner));
    }

    /** A pool token for {@code POST /pools/{id}/tokens} and the data dir's {@code agent.token}. */
    public TokenCreated createPoolToken(String poolId, String description) {
        return issue("pool", description, false, poolId, null, Map.of(), ApiTokenStore.Owner.NONE);
    }

    /** The data dir's {@code admin.token}. */
    public TokenCreated createBootstrapAdmin() {
        return issue("user", "admin.token in the data dir", true, null, null, Map.of(), ApiTokenStore.Owner.NONE);
    }

    /** Every token ({@code org} null), or those of one organisation. */
    public TokenList list(String org) {
        return new TokenList(store.list(org));
    }

    public TokenView revoke(String tokenId) {
        if (!Ids.isToken(tokenId))
            throw ApiProblem.badRequest(
                    "invalid_token_id", "token ids look like tok- followed by 16 letters or digits");
        if (!store.revoke(tokenId)) {
            TokenView existing = store.find(tokenId)
                    .map(ApiTokenStore.Stored::view)
                    .orElseThrow(() -> ApiProblem.notFound("token_not_found", "no token " + tokenId));
            throw ApiProblem.conflict("token_revoked", "token " + tokenId + " was revoked at " + existing.revokedAt());
        }
        return store.find(tokenId).orElseThrow().view();
    }

    /** A token's principal; any failure is a 401 that names no more than the token's holder knows. */
    Principal verify(String token) {
        Matcher m = FORMAT.matcher(token);
        if (!m.matches()) throw ApiProblem.unauthorized("invalid token");
        String tokenId = "tok-" + m.group(1);
        ApiTokenStore.Stored stored = store.find(tokenId).orElseThrow(() -> ApiProblem.unauthorized("invalid token"));
        if (!MessageDigest.isEqual(stored.secretSha256(), sha256(m.group(2))))
            throw ApiProblem.unauthorized("invalid token");
        return active(stored);
    }

    /**
     * The principal of the token with this id, checked as {@link #verify} checks it except for the secret: for a
     * credential that already stood for the token (a WebSocket ticket), so a token revoked meanwhile opens nothing.
     */
    Principal verifyId(String tokenId) {
        return active(store.find(tokenId).orElseThrow(() -> ApiProblem.unauthorized("token revoked")));
    }

    private Principal active(ApiTokenStore.Stored stored) {
        TokenView view = stored.view();
        String tokenId = view.tokenId();
        if (view.revokedAt() != null) throw ApiProblem.unauthorized("token revoked");
        if (view.expiresAt() != null && !clock.instant().isBefore(view.expiresAt()))
            throw ApiProblem.unauthorized("token expired");
        store.touch(tokenId);
        if ("pool".equals(view.kind())) return new Principal.PoolMember(tokenId, view.poolId());
        if (view.org() == null)
            return new Principal.User(tokenId, view.description(), view.globalAdmin(), Map.copyOf(view.workspaces()));
        String org = view.org();
        if (view.orgOwner())
            return new Principal.User(
                    tokenId, view.description(), false, Map.of(), Map.of(org, Role.ADMIN), Set.of(org), Set.of(org));
        ApiTokenStore.TeamRoles roles = store.teamRoles(org, view.user());
        return new Principal.User(
                tokenId,
                view.description(),
                false,
                Map.copyOf(roles.workspaces()),
                roles.everywhere() == null ? Map.of() : Map.of(org, roles.everywhere()),
                Set.of(org),
                Set.of());
    }

    private TokenCreated issue(
            String kind,
            String description,
            boolean admin,
            String poolId,
            Instant expires,
            Map<String, Role> grants,
            ApiTokenStore.Owner owner) {
        String id = Ids.token();
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        jdbi.useTransaction(h -> {
            if (poolId != null) {
                boolean exists = h.createQuery("select exists (select 1 from pools where pool_id = :p)")
                        .bind("p", poolId)
                        .mapTo(Boolean.class)
                        .one();
                if (!exists) throw ApiProblem.notFound("pool_not_found", "pool '" + poolId + "' does not exist");
            }
            if (owner.user() != null) {
                boolean exists = h.createQuery("select exists (select 1 from users where org_id = :o and name = :u)")
                        .bind("o", owner.org())
                        .bind("u", owner.user())
                        .mapTo(Boolean.class)
                        .one();
                if (!exists)
                    throw ApiProblem.notFound(
                            "user_not_found", "no user '" + owner.user() + "' in organisation " + owner.org());
            }
            store.insert(h, id, kind, sha256(secretText), description, admin, poolId, expires, grants, owner);
        });
        return new TokenCreated(
                PREFIX + id.substring("tok-".length()) + "_" + secretText,
                store.find(id).orElseThrow().view());
    }

    private Instant expiry(Long seconds) {
        if (seconds == null) return null;
        if (seconds < 1 || seconds > MAX_LIFETIME.toSeconds()) {
            throw ApiProblem.badRequest("invalid_expiry", "expires_in_seconds must be 1.." + MAX_LIFETIME.toSeconds());
        }
        return clock.instant().plusSeconds(seconds);
    }

    /** SHA-256 of a random secret (tokens, tickets): what the store keeps instead of it. */
    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
