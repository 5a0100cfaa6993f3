package io.iacrunner.server.tasks;

import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.server.agents.AgentService;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.ApiProblem;
import io.iacrunner.server.web.Bodies;
import io.iacrunner.server.web.QueryParams;
import io.javalin.http.Context;

/** HTTP glue for tasks: parse, call one service method, render. */
public final class TaskRoutes {
    private final Authenticator auth;
    private final TaskService tasks;
    private final AgentService agents;

    public TaskRoutes(Authenticator auth, TaskService tasks, AgentService agents) {
        this.auth = auth;
        this.tasks = tasks;
        this.agents = agents;
    }

    public void create(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.status(201).json(tasks.create(Bodies.read(ctx, CreateTaskRequest.class)));
    }

    public void list(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(tasks.list(ctx.queryParam("workspace"), QueryParams.intParam(ctx, "limit", 100)));
    }

    public void show(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(tasks.get(ctx.pathParam("task_id")));
    }

    public void pull(Context ctx) throws InterruptedException {
        var agent = auth.agent(ctx.header("Authorization"));
        PullRequest request = Bodies.read(ctx, PullRequest.class);
        if (request.agentId() != null && !request.agentId().equals(agent.agentId())) {
            throw ApiProblem.badRequest("agent_id_mismatch", "agent_id in the body differs from the token's agent");
        }
        ctx.json(tasks.pull(agent.agentId(), agents.poolOf(agent), request));
    }

    public void cancel(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(tasks.cancel(ctx.pathParam("task_id"), Bodies.read(ctx, CancelRequest.class).force()));
    }

    public void phase(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        tasks.phase(ctx.pathParam("task_id"), agent.agentId(), Bodies.read(ctx, PhaseUpdate.class));
        ctx.status(204);
    }

    public void plan(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        tasks.recordPlan(ctx.pathParam("task_id"), agent.agentId(), Bodies.read(ctx, PlanReport.class));
        ctx.status(204);
    }

    public void result(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(tasks.finish(ctx.pathParam("task_id"), agent.agentId(), Bodies.read(ctx, TaskResult.class)));
    }
}
