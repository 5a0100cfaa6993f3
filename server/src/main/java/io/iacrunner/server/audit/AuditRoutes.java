package io.iacrunner.server.audit;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;
import java.util.function.BiConsumer;

/** HTTP glue for reading the audit log: the site admin's, or one organisation's for its owners. */
public final class AuditRoutes implements Routes {
    private final Authenticator auth;
    private final AuditLog audit;
    private final BiConsumer<Principal.User, String> requireOwner;

    /**
     * @param requireOwner refuses a caller that does not own the organisation (the organisations feature's rule,
     *     passed in: organisations record their changes here, so this package may not depend on theirs)
     */
    public AuditRoutes(Authenticator auth, AuditLog audit, BiConsumer<Principal.User, String> requireOwner) {
        this.auth = auth;
        this.audit = audit;
        this.requireOwner = requireOwner;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.AUDIT_EVENTS, this::list);
    }

    /** Everything for the site admin; with {@code ?org=}, that organisation's events, for its owner. */
    private void list(Context ctx) {
        int limit = QueryParams.intParam(ctx, "limit", 100);
        if (ctx.queryParam(OrgScope.PARAM) == null) {
            auth.globalAdmin(ctx.header("Authorization"));
            ctx.json(audit.recent(null, limit));
            return;
        }
        String org = OrgScope.org(ctx);
        requireOwner.accept(auth.user(ctx.header("Authorization")), org);
        ctx.json(audit.recent(org, limit));
    }
}
