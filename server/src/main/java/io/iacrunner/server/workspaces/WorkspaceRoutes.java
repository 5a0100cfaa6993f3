package io.iacrunner.server.workspaces;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for workspaces. */
public final class WorkspaceRoutes implements Routes {
    private final Authenticator auth;
    private final WorkspaceService workspaces;
    private final AuditLog audit;

    public WorkspaceRoutes(Authenticator auth, WorkspaceService workspaces, AuditLog audit) {
        this.auth = auth;
        this.workspaces = workspaces;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.WORKSPACES, this::list);
        t.get(ApiPaths.WORKSPACE, this::show);
        t.put(ApiPaths.WORKSPACE, this::update);
        t.post(ApiPaths.WORKSPACE_UNLOCK, this::unlock);
    }

    /** Only the organisation's workspaces the token holds a role in (all of them for its owner and the site admin). */
    private void list(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        String org = OrgScope.org(ctx);
        ctx.json(workspaces.list(org, QueryParams.intParam(ctx, "limit", 1000), user.visibleIn(org)));
    }

    private void show(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.READ, () -> WorkspaceService.notFound(workspace));
        ctx.json(workspaces.get(workspace));
    }

    /** May create the workspace, so a token without a role there gets 403, which says nothing about whether it exists. */
    private void update(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.ADMIN, () -> Authenticator.noRole(workspace));
        ctx.json(workspaces.update(workspace, Bodies.read(ctx, WorkspaceSettings.class)));
    }

    private void unlock(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        Principal.User user = auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        WorkspaceView unlocked = workspaces.unlock(
                workspace, Bodies.read(ctx, UnlockRequest.class).force());
        audit.recordOnWorkspace(workspace, "workspace_unlocked", user.actor(), workspace, "forced unlock", ctx.ip());
        ctx.json(unlocked);
    }
}
