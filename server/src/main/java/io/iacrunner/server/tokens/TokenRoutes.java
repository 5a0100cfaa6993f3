package io.iacrunner.server.tokens;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.ApiTokens;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.auth.SigningKeys;
import io.iacrunner.server.auth.WsTickets;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RateLimiter;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.orgs.OrgService;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;

/**
 * HTTP glue for credentials: tokens (global admins), who-am-I (any user token), WebSocket tickets, the JWKS and key
 * rotation. A package of its own above auth and audit: these routes record audit events, and reading the audit log
 * needs auth, so in either of those packages they would tie the two into a cycle.
 */
public final class TokenRoutes implements Routes {
    private final Authenticator auth;
    private final ApiTokens tokens;
    private final SigningKeys keys;
    private final WsTickets tickets;
    private final AuditLog audit;
    private final RateLimiter tokenIssues;
    private final OrgService orgs;

    public TokenRoutes(
            Authenticator auth,
            ApiTokens tokens,
            SigningKeys keys,
            WsTickets tickets,
            AuditLog audit,
            RateLimiter tokenIssues,
            OrgService orgs) {
        this.orgs = orgs;
        this.auth = auth;
        this.tokens = tokens;
        this.keys = keys;
        this.tickets = tickets;
        this.audit = audit;
        this.tokenIssues = tokenIssues;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.JWKS, this::jwks);
        t.get(ApiPaths.WHOAMI, this::whoami);
        t.post(ApiPaths.WS_TICKETS, this::issueTicket);
        t.post(ApiPaths.TOKENS, tokenIssues.limit(this::create));
        t.get(ApiPaths.TOKENS, this::list);
        t.post(ApiPaths.TOKEN_REVOKE, this::revoke);
        t.post(ApiPaths.SIGNING_KEY_ROTATE, this::rotateSigningKey);
    }

    private void jwks(Context ctx) {
        ctx.contentType("application/jwk-set+json").result(keys.publicKeys().toString());
    }

    private void whoami(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        ctx.json(new WhoAmI(
                user.tokenId(),
                user.globalAdmin() ? "admin" : "user",
                user.globalAdmin(),
                user.grants(),
                user.orgRoles(),
                new java.util.TreeSet<>(user.orgs()),
                new java.util.TreeSet<>(user.ownerOf())));
    }

    /**
     * A browser's WebSocket cannot carry the Authorization header: a one-time ticket stands for the user token that
     * asked for it. What the ticket may open is checked where it is used, exactly as for the token itself.
     */
    private void issueTicket(Context ctx) {
        ctx.status(201).json(tickets.issue(auth.user(ctx.header("Authorization"))));
    }

    /**
     * The site admin's tokens as before; in an organisation ({@code org_owner} or {@code user} in the body, the
     * organisation by {@code ?org=}): an owner's token (the site admin makes it), or a user's (an owner makes it).
     */
    private void create(Context ctx) {
        CreateTokenRequest request = Bodies.read(ctx, CreateTokenRequest.class);
        Principal.User caller;
        TokenCreated created;
        if (Boolean.TRUE.equals(request.orgOwner()) || request.user() != null) {
            caller = auth.user(ctx.header("Authorization"));
            String org = OrgScope.org(ctx);
            orgs.owned(caller, org);
            if (Boolean.TRUE.equals(request.orgOwner()) && !caller.globalAdmin())
                throw ApiProblem.forbidden("an owner's token is made by the site admin");
            created = tokens.createInOrg(org, request);
        } else {
            caller = auth.globalAdmin(ctx.header("Authorization"));
            created = tokens.create(request);
        }
        TokenView v = created.view();
        audit.recordIn(v.org(), "token_created", caller.actor(), v.tokenId(), describe(v), ctx.ip());
        ctx.status(HttpStatus.CREATED).json(created);
    }

    /** Every token for the site admin; an owner's organisation's tokens for its owner ({@code ?org=}). */
    private void list(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        if (user.globalAdmin() && ctx.queryParam(OrgScope.PARAM) == null) {
            ctx.json(tokens.list(null));
            return;
        }
        String org = OrgScope.org(ctx);
        orgs.owned(user, org);
        ctx.json(tokens.list(org));
    }

    private void revoke(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        TokenView revoked = tokens.revoke(ctx.pathParam("token_id"));
        audit.record("token_revoked", admin.actor(), revoked.tokenId(), describe(revoked), ctx.ip());
        ctx.json(revoked);
    }

    private void rotateSigningKey(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        String kid = keys.rotate();
        audit.record("signing_key_rotated", admin.actor(), kid, "new tokens are signed with key " + kid, ctx.ip());
        ctx.json(Map.of("kid", kid));
    }

    private static String describe(TokenView v) {
        if ("pool".equals(v.kind())) return "agent-pool token for " + v.poolId();
        if (v.orgOwner()) return "owner token of organisation " + v.org();
        if (v.user() != null) return "token of user " + v.user() + " in organisation " + v.org();
        return v.globalAdmin() ? "global admin token" : "user token with " + v.workspaces();
    }
}
