package io.iacrunner.server.tasks;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.ReviewRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.JobUploads;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for plan review: confirm, discard, apply a reviewed plan; the agent's plan upload and download. */
public final class PlanRoutes implements Routes {
    private final Authenticator auth;
    private final PlanService plans;
    private final TaskAccess access;
    private final AuditLog audit;

    public PlanRoutes(Authenticator auth, TaskService tasks, PlanService plans, AuditLog audit) {
        this.auth = auth;
        this.plans = plans;
        this.access = new TaskAccess(tasks);
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        // People with the apply role: review a planned run, apply a reviewed plan task's plan.
        t.post(ApiPaths.TASK_CONFIRM, this::confirm);
        t.post(ApiPaths.TASK_DISCARD, this::discard);
        t.post(ApiPaths.TASK_APPLY_PLAN, this::applyPlan);
        // The agent running an attempt: the plan it made, the plan it applies.
        t.put(ApiPaths.TASK_PLAN_FILE, this::upload);
        t.get(ApiPaths.TASK_PLAN_FILE, this::download);
    }

    private void confirm(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        TaskView task = access.require(user, ctx.pathParam("task_id"), Role.APPLY);
        String taskId = task.taskId();
        TaskView confirmed = plans.confirm(
                taskId, user.name(), Bodies.read(ctx, ReviewRequest.class).comment());
        audit.recordOnWorkspace(
                task.workspaceId(), "plan_confirmed", user.actor(), taskId, "its apply is queued", ctx.ip());
        ctx.json(confirmed);
    }

    private void discard(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        TaskView task = access.require(user, ctx.pathParam("task_id"), Role.APPLY);
        String taskId = task.taskId();
        TaskView discarded = plans.discard(
                taskId, user.name(), Bodies.read(ctx, ReviewRequest.class).comment());
        audit.recordOnWorkspace(
                task.workspaceId(), "plan_discarded", user.actor(), taskId, "nothing applied", ctx.ip());
        ctx.json(discarded);
    }

    private void applyPlan(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        String planTaskId =
                access.require(user, ctx.pathParam("task_id"), Role.APPLY).taskId();
        ctx.status(201).json(plans.applyPlan(planTaskId, user.name()));
    }

    private void upload(Context ctx) {
        var upload = JobUploads.read(auth, ctx, PlanFileUpload.class);
        plans.upload(upload.taskId(), upload.agentId(), upload.body());
        ctx.status(204);
    }

    /** A GET has no body: the attempt is a query parameter, checked against the job token like a body's. */
    private void download(Context ctx) {
        String taskId = ctx.pathParam("task_id");
        Principal.Job job = auth.job(ctx.header("Authorization"), taskId);
        int attempt = QueryParams.intParam(ctx, "attempt", -1);
        Authenticator.requireAttempt(job, attempt);
        ctx.json(plans.download(taskId, job.agentId(), attempt));
    }
}
