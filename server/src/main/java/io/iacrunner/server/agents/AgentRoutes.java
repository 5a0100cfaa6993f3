package io.iacrunner.server.agents;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RateLimiter;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.orgs.OrgService;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.tasks.TaskService;
import io.iacrunner.server.util.OrgNames;
import io.javalin.http.Context;

/**
 * HTTP glue for agents: parse, call one service method, render. An agent registers with a pool token and does
 * everything else here with the agent token it got back; what it then does for one task is in the tasks', logs' and
 * state's routes, with that attempt's job token.
 */
public final class AgentRoutes implements Routes {
    private final Authenticator auth;
    private final AgentService agents;
    private final TaskService tasks;
    private final RateLimiter registrations;

    public AgentRoutes(
            Authenticator auth, AgentService agents, TaskService tasks, RateLimiter registrations, OrgService orgs) {
        this.orgs = orgs;
        this.auth = auth;
        this.agents = agents;
        this.tasks = tasks;
        this.registrations = registrations;
    }

    private final OrgService orgs;

    @Override
    public void register(RouteTable t) {
        t.post(ApiPaths.AGENT_REGISTER, registrations.limit(this::registerAgent));
        t.post(ApiPaths.AGENT_PING, this::ping);
        t.post(ApiPaths.AGENT_DEREGISTER, this::deregister);
        t.post(ApiPaths.TASK_PULL, this::pull);
        t.get(ApiPaths.AGENTS, this::list);
    }

    private void registerAgent(Context ctx) {
        var pool = auth.pool(ctx.header("Authorization"));
        ctx.json(agents.register(pool, Bodies.read(ctx, RegisterRequest.class)));
    }

    private void ping(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(agents.ping(agent, Bodies.read(ctx, AgentPing.class)));
    }

    private void deregister(Context ctx) {
        agents.deregister(auth.agent(ctx.header("Authorization")));
        ctx.status(204);
    }

    /** The long poll for work: what the agent's pool allows, judged by the tasks' claim. */
    private void pull(Context ctx) throws InterruptedException {
        var agent = auth.agent(ctx.header("Authorization"));
        PullRequest request = Bodies.read(ctx, PullRequest.class);
        if (request.agentId() != null && !request.agentId().equals(agent.agentId())) {
            throw ApiProblem.badRequest("agent_id_mismatch", "agent_id in the body differs from the token's agent");
        }
        ctx.json(tasks.pull(agent.agentId(), request));
    }

    /**
     * Every agent, for the site admin; with {@code ?org=}, the agents of that organisation's pools, for its owner (an
     * organisation that does not exist and one the caller may not see are alike: 404).
     */
    private void list(Context ctx) {
        if (ctx.queryParam(OrgScope.PARAM) == null) {
            auth.globalAdmin(ctx.header("Authorization"));
            ctx.json(agents.list());
            return;
        }
        String org = OrgScope.org(ctx);
        orgs.owned(auth.user(ctx.header("Authorization")), org);
        AgentList all = agents.list();
        ctx.json(new AgentList(all.agents().stream()
                .filter(a -> OrgNames.orgOf(a.poolId()).equals(org))
                .toList()));
    }
}
