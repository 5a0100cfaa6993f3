package io.iacrunner.server.workspaces;

import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
import io.iacrunner.server.web.QueryParams;
import io.javalin.http.Context;

/** HTTP glue for workspaces. */
public final class WorkspaceRoutes {
    private final Authenticator auth;
    private final WorkspaceService workspaces;

    public WorkspaceRoutes(Authenticator auth, WorkspaceService workspaces) {
        this.auth = auth;
        this.workspaces = workspaces;
    }

    public void list(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(workspaces.list(QueryParams.intParam(ctx, "limit", 1000)));
    }

    public void show(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(workspaces.get(ctx.pathParam("workspace_id")));
    }

    public void unlock(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(workspaces.unlock(ctx.pathParam("workspace_id"), Bodies.read(ctx, UnlockRequest.class).force()));
    }
}
