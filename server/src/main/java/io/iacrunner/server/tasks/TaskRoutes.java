package io.iacrunner.server.tasks;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.JobTokenRequest;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.JobUploads;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for tasks: parse, call one service method, render. */
public final class TaskRoutes implements Routes {
    private final Authenticator auth;
    private final TaskService tasks;
    private final AuditLog audit;
    private final TaskAccess access;

    public TaskRoutes(Authenticator auth, TaskService tasks, AuditLog audit) {
        this.auth = auth;
        this.tasks = tasks;
        this.access = new TaskAccess(tasks);
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        // People: queue, list, read, cancel.
        t.post(ApiPaths.TASKS, this::create);
        t.get(ApiPaths.TASKS, this::list);
        t.get(ApiPaths.TASK, this::show);
        t.post(ApiPaths.TASK_CANCEL, this::cancel);
        // The agent running an attempt (its logs and state: LogRoutes, StateRoutes).
        t.post(ApiPaths.TASK_JOB_TOKEN, this::jobToken);
        t.post(ApiPaths.TASK_PHASE, this::phase);
        t.post(ApiPaths.TASK_PLAN, this::plan);
        t.post(ApiPaths.TASK_HAND_BACK, this::handBack);
        t.post(ApiPaths.TASK_RESULT, this::result);
    }

    /** A plan needs the plan role in its workspace, a plan_apply the apply role. */
    private void create(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        CreateTaskRequest request = inOrg(ctx, Bodies.read(ctx, CreateTaskRequest.class));
        if (request.workspaceId() != null && request.action() != null) {
            Authenticator.require(
                    user,
                    request.workspaceId(),
                    TaskAccess.toRun(request.action()),
                    () -> Authenticator.noRole(request.workspaceId()));
        }
        ctx.status(201).json(tasks.create(request, user.name()));
    }

    /** The request with its workspace's key in the request's organisation ({@code ?org=}). */
    private static CreateTaskRequest inOrg(Context ctx, CreateTaskRequest request) {
        if (request.workspaceId() == null) return request;
        return new CreateTaskRequest(
                OrgScope.workspace(ctx, request.workspaceId()),
                request.action(),
                request.tfJson(),
                request.variables(),
                request.terraformVersion(),
                request.labels(),
                request.sensitiveVariables(),
                request.configArchive(),
                request.runOptions());
    }

    /** Only the organisation's workspaces the token may read. */
    private void list(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        String org = OrgScope.org(ctx);
        String workspace = ctx.queryParam("workspace");
        ctx.json(tasks.list(
                org,
                workspace == null ? null : OrgScope.workspace(ctx, workspace),
                QueryParams.intParam(ctx, "limit", 100),
                user.visibleIn(org)));
    }

    private void show(Context ctx) {
        ctx.json(access.require(auth.user(ctx.header("Authorization")), ctx.pathParam("task_id"), Role.READ));
    }

    /** Stopping a run needs the role that may start it. */
    private void cancel(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        Principal.User user = auth.user(ctx.header("Authorization"));
        access.requireToRun(user, taskId);
        boolean force = Bodies.read(ctx, CancelRequest.class).force();
        TaskView canceled = tasks.cancel(taskId, force);
        audit.recordOnWorkspace(
                canceled.workspaceId(),
                "task_canceled",
                user.actor(),
                taskId,
                (force ? "forced cancel, " : "cancel, ") + "status now "
                        + canceled.status().wireName(),
                ctx.ip());
        ctx.json(canceled);
    }

    private void phase(Context ctx) {
        var upload = JobUploads.read(auth, ctx, PhaseUpdate.class);
        tasks.phase(upload.taskId(), upload.agentId(), upload.body());
        ctx.status(204);
    }

    private void plan(Context ctx) {
        var upload = JobUploads.read(auth, ctx, PlanReport.class);
        tasks.recordPlan(upload.taskId(), upload.agentId(), upload.body());
        ctx.status(204);
    }

    private void result(Context ctx) {
        var upload = JobUploads.read(auth, ctx, TaskResult.class);
        ctx.json(tasks.finish(upload.taskId(), upload.agentId(), upload.body()));
    }

    /** An attempt the agent will not run, given back with the attempt's job token. */
    private void handBack(Context ctx) {
        var upload = JobUploads.read(auth, ctx, HandBack.class);
        ctx.json(tasks.handBack(upload.taskId(), upload.agentId(), upload.body()));
    }

    /** A fresh job token for an attempt the calling agent runs (the first expiring, or lost with an agent restart). */
    private void jobToken(Context ctx) {
        var agent = auth.agent(ctx.header("Authorization"));
        ctx.json(tasks.jobToken(
                ctx.pathParam("task_id"),
                agent.agentId(),
                Bodies.read(ctx, JobTokenRequest.class).attempt()));
    }
}
