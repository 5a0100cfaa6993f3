package io.iacrunner.server.state;

import io.iacrunner.protocol.StateUpload;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
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

    public void current(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.contentType("application/json").result(states.current(ctx.pathParam("workspace_id")));
    }

    public void versions(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(Map.of("versions", states.versions(ctx.pathParam("workspace_id"))));
    }
}
