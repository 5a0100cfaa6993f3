package io.iacrunner.server.variables;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/** HTTP glue for workspace variables. */
public final class VariableRoutes implements Routes {
    private final Authenticator auth;
    private final VariableService variables;

    public VariableRoutes(Authenticator auth, VariableService variables) {
        this.auth = auth;
        this.variables = variables;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.WORKSPACE_VARIABLES, this::list);
        t.put(ApiPaths.WORKSPACE_VARIABLE, this::set);
        t.delete(ApiPaths.WORKSPACE_VARIABLE, this::delete);
    }

    private void list(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        ctx.json(variables.list(workspace));
    }

    /** May create the workspace, so a token without a role there gets 403, which says nothing about whether it exists. */
    private void set(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.ADMIN, () -> Authenticator.noRole(workspace));
        ctx.json(variables.set(workspace, ctx.pathParam("name"), Bodies.read(ctx, SetVariableRequest.class)));
    }

    private void delete(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        variables.delete(workspace, ctx.pathParam("name"));
        ctx.status(HttpStatus.NO_CONTENT);
    }
}
