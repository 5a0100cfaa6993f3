package io.iacrunner.server.variables;

import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/** HTTP glue for workspace variables. */
public final class VariableRoutes {
    private final Authenticator auth;
    private final VariableService variables;

    public VariableRoutes(Authenticator auth, VariableService variables) {
        this.auth = auth;
        this.variables = variables;
    }

    public void list(Context ctx) {
        String workspace = ctx.pathParam("workspace_id");
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        ctx.json(variables.list(workspace));
    }

    /** May create the workspace, so a token without a role there gets 403, which says nothing about whether it exists. */
    public void set(Context ctx) {
        String workspace = ctx.pathParam("workspace_id");
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.ADMIN,
                () -> Authenticator.noRole(workspace));
        ctx.json(variables.set(workspace, ctx.pathParam("name"), Bodies.read(ctx, SetVariableRequest.class)));
    }

    public void delete(Context ctx) {
        String workspace = ctx.pathParam("workspace_id");
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        variables.delete(workspace, ctx.pathParam("name"));
        ctx.status(HttpStatus.NO_CONTENT);
    }
}
