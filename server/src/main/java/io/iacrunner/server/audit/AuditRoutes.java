package io.iacrunner.server.audit;

import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.QueryParams;
import io.javalin.http.Context;

/** HTTP glue for reading the audit log (global admins). */
public final class AuditRoutes {
    private final Authenticator auth;
    private final AuditLog audit;

    public AuditRoutes(Authenticator auth, AuditLog audit) {
        this.auth = auth;
        this.audit = audit;
    }

    public void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(audit.recent(QueryParams.intParam(ctx, "limit", 100)));
    }
}
