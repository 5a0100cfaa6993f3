package io.iacrunner.server.variables;

import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
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
        auth.admin(ctx.header("Authorization"));
        ctx.json(variables.list(ctx.pathParam("workspace_id")));
    }

    public void set(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(variables.set(ctx.pathParam("workspace_id"), ctx.pathParam("name"), Bodies.read(ctx, SetVariableRequest.class)));
    }

    public void delete(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        variables.delete(ctx.pathParam("workspace_id"), ctx.pathParam("name"));
        ctx.status(HttpStatus.NO_CONTENT);
    }
}
