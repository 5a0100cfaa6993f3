package io.iacrunner.server.tasks;

import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.JobTokenRequest;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.server.agents.AgentService;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.web.Bodies;
import io.iacrunner.server.web.QueryParams;
import io.javalin.http.Context;

/** HTTP glue for tasks: parse, call one service method, render. */
public final class TaskRoutes {
    private final Authenticator auth;
    private final TaskService tasks;
    private final AgentService agents;
    private final AuditLog audit;
    private final TaskAccess access;

    public TaskRoutes(Authenticator auth, TaskService tasks, AgentService agents, AuditLog audit) {
        this.auth = auth;
        this.tasks = tasks;
        this.access = new TaskAccess(tasks);
        this.agents = agents;
        this.audit = audit;
    }

    /** A plan needs the plan role in its workspace, a plan_apply the apply role. */
    public void create(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        CreateTaskRequest request = Bodies.read(ctx, CreateTaskRequest.class);
        if (request.workspaceId() != null && request.action() != null) {
            Authenticator.require(user, request.workspaceId(), TaskAccess.toRun(request.action()),
                    () -> Authenticator.noRole(request.workspaceId()));
        }
        ctx.status(201).json(tasks.create(request, user.name()));
    }

    /** Only the workspaces the token may read. */
    public void list(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        ctx.json(tasks.list(ctx.queryParam("workspace"), QueryParams.intParam(ctx, "limit", 100),
                user.globalAdmin() ? null : user.grants().keySet()));
    }

    public void show(Context ctx) {
        ctx.json(access.require(auth.user(ctx.header("Authorization")), ctx.pathParam("task_id"), Role.READ));
    }

    public void pull(Context ctx) throws InterruptedException {
        var agent = auth.agent(ctx.header("Authorization"));
        PullRequest request = Bodies.read(ctx, PullRequest.class);
        if (request.agentId() != null && !request.agentId().equals(agent.agentId())) {
            throw ApiProblem.badRequest("agent_id_mismatch", "agent_id in the body differs from the token's agent");
        }
        ctx.json(tasks.pull(agent.agentId(), agents.poolOf(agent), request));
    }

    /** Stopping a run needs the role that may start it. */
    public void cancel(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        Principal.User user = auth.user(ctx.header("Authorization"));
        access.requireToRun(user, taskId);
        boolean force = Bodies.read(ctx, CancelRequest.class).force();
        TaskView canceled = tasks.cancel(taskId, force);
        audit.record("task_canceled", user.actor(), taskId, (force ? "forced cancel, " : "cancel, ") + "status now "
                + canceled.status().wireName(), ctx.ip());
        ctx.json(canceled);
    }

    public void phase(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        var job = auth.job(ctx.header("Authorization"), taskId);
        PhaseUpdate update = Bodies.read(ctx, PhaseUpdate.class);
        Authenticator.requireAttempt(job, update.attempt());
        tasks.phase(taskId, job.agentId(), update);
        ctx.status(204);
    }

    public void plan(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        var job = auth.job(ctx.header("Authorization"), taskId);
        PlanReport report = Bodies.read(ctx, PlanReport.class);
        Authenticator.requireAttempt(job, report.attempt());
        tasks.recordPlan(taskId, job.agentId(), report);
        ctx.status(204);
    }

    public void result(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        var job = auth.job(ctx.header("Authorization"), taskId);
        TaskResult result = Bodies.read(ctx, TaskResult.class);
        Authenticator.requireAttempt(job, result.attempt());
        ctx.json(tasks.finish(taskId, job.agentId(), result));
    }

    /** An attempt the agent will not run, given back with the attempt's job token. */
    public void handBack(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        var job = auth.job(ctx.header("Authorization"), taskId);
        HandBack request = Bodies.read(ctx, HandBack.class);
        Authenticator.requireAttempt(job, request.attempt());
        ctx.json(tasks.handBack(taskId, job.agentId(), request));
    }

    /** A fresh job token for an attempt the calling agent runs (the first expiring, or lost with an agent restart). */
    public void jobToken(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(tasks.jobToken(ctx.pathParam("task_id"), agent.agentId(), Bodies.read(ctx, JobTokenRequest.class).attempt()));
    }
}
