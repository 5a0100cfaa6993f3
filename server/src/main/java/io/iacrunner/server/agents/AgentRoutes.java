package io.iacrunner.server.agents;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
import io.javalin.http.Context;

/** HTTP glue for agents: parse, call one service method, render. */
public final class AgentRoutes {
    private final Authenticator auth;
    private final AgentService agents;

    public AgentRoutes(Authenticator auth, AgentService agents) {
        this.auth = auth;
        this.agents = agents;
    }

    public void register(Context ctx) {
        var pool = auth.pool(ctx.header("Authorization"));
        ctx.json(agents.register(pool, Bodies.read(ctx, RegisterRequest.class)));
    }

    public void ping(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(agents.ping(agent, Bodies.read(ctx, AgentPing.class)));
    }

    public void deregister(Context ctx) {
        agents.deregister(auth.agent(ctx.header("Authorization")));
        ctx.status(204);
    }

    public void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(agents.list());
    }
}
