package io.iacrunner.server.state;

import io.iacrunner.protocol.RollbackRequest;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.ApiProblem;
import io.iacrunner.server.web.Bodies;
import io.iacrunner.server.web.QueryParams;
import io.javalin.http.Context;
import java.util.Map;

/** HTTP glue for state versions. */
public final class StateRoutes {
    private final Authenticator auth;
    private final StateService states;

    public StateRoutes(Authenticator auth, StateService states) {
        this.auth = auth;
        this.states = states;
    }

    public void upload(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(states.upload(ctx.pathParam("task_id"), agent.agentId(), Bodies.read(ctx, StateUpload.class)));
    }

    /** The current state, or with {@code ?version=N} that version's. */
    public void current(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        String workspace = ctx.pathParam("workspace_id");
        if (ctx.queryParam("version") == null) {
            ctx.contentType("application/json").result(states.current(workspace));
            return;
        }
        long version = QueryParams.longParam(ctx, "version", 0);
        if (version < 1 || version > Integer.MAX_VALUE) throw ApiProblem.badRequest("invalid_version", "version must be a version number >= 1");
        ctx.contentType("application/json").result(states.version(workspace, (int) version));
    }

    public void rollback(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(states.rollback(ctx.pathParam("workspace_id"), Bodies.read(ctx, RollbackRequest.class)));
    }

    public void versions(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(Map.of("versions", states.versions(ctx.pathParam("workspace_id"))));
    }
}
