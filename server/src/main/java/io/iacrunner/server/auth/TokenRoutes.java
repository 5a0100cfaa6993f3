package io.iacrunner.server.auth;

import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.web.Bodies;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/** HTTP glue for tokens (global admins), who-am-I (any user token), the JWKS and key rotation. */
public final class TokenRoutes {
    private final Authenticator auth;
    private final ApiTokens tokens;
    private final SigningKeys keys;
    private final AuditLog audit;

    public TokenRoutes(Authenticator auth, ApiTokens tokens, SigningKeys keys, AuditLog audit) {
        this.auth = auth;
        this.tokens = tokens;
        this.keys = keys;
        this.audit = audit;
    }

    public void create(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        TokenCreated created = tokens.create(Bodies.read(ctx, CreateTokenRequest.class));
        TokenView v = created.view();
        audit.record("token_created", admin.actor(), v.tokenId(), describe(v), ctx.ip());
        ctx.status(HttpStatus.CREATED).json(created);
    }

    public void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(tokens.list());
    }

    public void revoke(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        TokenView revoked = tokens.revoke(ctx.pathParam("token_id"));
        audit.record("token_revoked", admin.actor(), revoked.tokenId(), describe(revoked), ctx.ip());
        ctx.json(revoked);
    }

    public void whoami(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        ctx.json(new WhoAmI(user.tokenId(), user.globalAdmin() ? "admin" : "user", user.globalAdmin(), user.grants()));
    }

    public void jwks(Context ctx) {
        ctx.contentType("application/jwk-set+json").result(keys.publicKeys().toString());
    }

    public void rotateSigningKey(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        String kid = keys.rotate();
        audit.record("signing_key_rotated", admin.actor(), kid, "new tokens are signed with key " + kid, ctx.ip());
        ctx.json(java.util.Map.of("kid", kid));
    }

    private static String describe(TokenView v) {
        if ("pool".equals(v.kind())) return "agent-pool token for " + v.poolId();
        return v.globalAdmin() ? "global admin token" : "user token with " + v.workspaces();
    }
}
