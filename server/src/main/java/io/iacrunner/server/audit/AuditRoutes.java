package io.iacrunner.server.audit;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for reading the audit log (global admins). */
public final class AuditRoutes implements Routes {
    private final Authenticator auth;
    private final AuditLog audit;

    public AuditRoutes(Authenticator auth, AuditLog audit) {
        this.auth = auth;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.AUDIT_EVENTS, this::list);
    }

    private void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(audit.recent(QueryParams.intParam(ctx, "limit", 100)));
    }
}
