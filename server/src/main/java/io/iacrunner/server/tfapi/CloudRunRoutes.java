package io.iacrunner.server.tfapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.logs.LogService;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.tasks.PlanService;
import io.iacrunner.server.tasks.TaskAccess;
import io.iacrunner.server.tasks.TaskService;
import io.iacrunner.server.tfapi.ConfigVersionStore.ConfigVersion;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The runs of Terraform's {@code cloud} block (docs/terraform-cli.md): configuration versions and their upload, runs
 * (ordinary tasks: {@link CloudRuns}), their plan, apply and logs as Terraform polls them, and the run actions its
 * prompt and Ctrl-C send: apply (confirm) and discard through the plan review, cancel as {@code ./iac task cancel}.
 */
public final class CloudRunRoutes implements Routes {
    private final Authenticator auth;
    private final CloudRuns runs;
    private final RunLogs logs;
    private final LogTickets tickets;
    private final TaskAccess access;
    private final TaskService tasks;
    private final PlanService plans;
    private final AuditLog audit;

    public CloudRunRoutes(
            Authenticator auth,
            Jdbi jdbi,
            TaskService tasks,
            PlanService plans,
            WorkspaceService workspaces,
            LogService logService,
            SecretBox secrets,
            Clock clock,
            AuditLog audit) {
        this.auth = auth;
        this.runs = new CloudRuns(new ConfigVersionStore(jdbi), tasks, workspaces);
        this.logs = new RunLogs(logService);
        this.tickets = new LogTickets(secrets, clock);
        this.access = new TaskAccess(tasks);
        this.tasks = tasks;
        this.plans = plans;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.post(ApiPaths.TFE_CONFIG_VERSIONS, this::createConfigVersion);
        t.get(ApiPaths.TFE_CONFIG_VERSION, this::configVersion);
        t.put(ApiPaths.TFE_CONFIG_UPLOAD, this::upload);
        t.post(ApiPaths.TFE_RUNS, this::createRun);
        t.get(ApiPaths.TFE_RUN, this::run);
        t.get(ApiPaths.TFE_RUN_EVENTS, this::runEvents);
        t.post(ApiPaths.TFE_RUN_ACTION, this::action);
        t.get(ApiPaths.TFE_PLAN, ctx -> phase(ctx, "plan_id", TfeIds.PLAN));
        t.get(ApiPaths.TFE_APPLY, ctx -> phase(ctx, "apply_id", TfeIds.APPLY));
        t.get(ApiPaths.TFE_PLAN_LOG, ctx -> log(ctx, "plan_id", TfeIds.PLAN));
        t.get(ApiPaths.TFE_APPLY_LOG, ctx -> log(ctx, "apply_id", TfeIds.APPLY));
    }

    private void createConfigVersion(Context ctx) {
        Principal.User user = user(ctx);
        String workspace = TfeIds.workspaceKey(ctx.pathParam("workspace_id"));
        JsonApi.Data data = JsonApi.read(ctx, "configuration-versions");
        if (Boolean.TRUE.equals(data.bool("auto-queue-runs"))) {
            throw JsonApi.invalid("attribute auto-queue-runs", "must be false: a run is created by its own request");
        }
        if (Boolean.TRUE.equals(data.bool("provisional"))) {
            throw JsonApi.invalid("attribute provisional", "is not supported (saved cloud plans: plan -out)");
        }
        boolean speculative = Boolean.TRUE.equals(data.bool("speculative"));
        CloudRuns.Created created = runs.createConfigVersion(user, workspace, speculative);
        ObjectNode resource = configVersion(created.version());
        JsonApi.attributes(resource)
                .put(
                        "upload-url",
                        TerraformCloudRoutes.baseUrl(ctx)
                                + ApiPaths.fill(
                                        ApiPaths.TFE_CONFIG_UPLOAD,
                                        created.version().id(),
                                        created.uploadSecret()));
        JsonApi.render(ctx, 201, resource);
    }

    private void configVersion(Context ctx) {
        JsonApi.render(ctx, 200, configVersion(runs.configVersion(user(ctx), ctx.pathParam("cv_id"))));
    }

    private static ObjectNode configVersion(ConfigVersion version) {
        ObjectNode resource = JsonApi.resource("configuration-versions", version.id());
        JsonApi.attributes(resource)
                .put("status", version.uploaded() ? "uploaded" : "pending")
                .put("speculative", version.speculative())
                .put("auto-queue-runs", false)
                .put("source", "terraform+cloud");
        return resource;
    }

    private void upload(Context ctx) {
        runs.upload(ctx.pathParam("cv_id"), ctx.pathParam("secret"), ctx.bodyAsBytes());
        ctx.status(200);
    }

    private void createRun(Context ctx) {
        Principal.User user = user(ctx);
        JsonApi.Data data = JsonApi.read(ctx, "runs");
        CloudRuns.RunRequest request = new CloudRuns.RunRequest(
                data.related("configuration-version", "configuration-versions"),
                TfeIds.workspaceKey(data.related("workspace", "workspaces")),
                data.bool("auto-apply"),
                options(data));
        TaskView task = runs.createRun(user, request);
        audit.record(
                "task_queued",
                user.actor(),
                task.taskId(),
                task.action().wireName() + " on " + task.workspaceId() + " by Terraform's cloud block",
                ctx.ip());
        JsonApi.render(ctx, 201, TfeResources.run(task, user.roleIn(task.workspaceId())));
    }

    /** The run's plan mode; what our runs cannot do is refused by name rather than quietly done otherwise. */
    private static RunOptions options(JsonApi.Data data) {
        if (Boolean.FALSE.equals(data.bool("refresh"))) {
            throw JsonApi.invalid("attribute refresh", "cannot be false: runs always refresh (-refresh=false)");
        }
        if (Boolean.TRUE.equals(data.bool("save-plan"))) {
            throw JsonApi.invalid("attribute save-plan", "is not supported (saved cloud plans: plan -out)");
        }
        if (data.nonEmptyList("variables")) {
            throw JsonApi.invalid(
                    "attribute variables", "is not supported (-var, -var-file): set workspace variables (./iac var)");
        }
        if (data.string("terraform-version") != null) {
            throw JsonApi.invalid("attribute terraform-version", "is not supported: set the workspace's version");
        }
        if (Boolean.TRUE.equals(data.bool("allow-config-generation"))) {
            throw JsonApi.invalid("attribute allow-config-generation", "is not supported (-generate-config-out)");
        }
        return new RunOptions(
                Boolean.TRUE.equals(data.bool("is-destroy")),
                Boolean.TRUE.equals(data.bool("refresh-only")),
                data.strings("target-addrs"),
                data.strings("replace-addrs"));
    }

    private void run(Context ctx) {
        Principal.User user = user(ctx);
        TaskView task = access.require(user, TfeIds.task(ctx.pathParam("run_id"), TfeIds.RUN), Role.READ);
        JsonApi.render(ctx, 200, TfeResources.run(task, user.roleIn(task.workspaceId())));
    }

    /** No policy or task-enforcement events happen here: an empty list, which Terraform reads for its warnings. */
    private void runEvents(Context ctx) {
        access.require(user(ctx), TfeIds.task(ctx.pathParam("run_id"), TfeIds.RUN), Role.READ);
        JsonApi.renderList(ctx, List.of());
    }

    /** Confirm and discard need the apply role, as for {@code ./iac task confirm}; cancel the role that started it. */
    private void action(Context ctx) {
        Principal.User user = user(ctx);
        String taskId = TfeIds.task(ctx.pathParam("run_id"), TfeIds.RUN);
        String action = ctx.pathParam("action");
        switch (action) {
            case "apply" -> {
                access.require(user, taskId, Role.APPLY);
                plans.confirm(taskId, user.name(), JsonApi.comment(ctx));
                audit.record("plan_confirmed", user.actor(), taskId, "its apply is queued (Terraform)", ctx.ip());
            }
            case "discard" -> {
                access.require(user, taskId, Role.APPLY);
                plans.discard(taskId, user.name(), JsonApi.comment(ctx));
                audit.record("plan_discarded", user.actor(), taskId, "nothing applied (Terraform)", ctx.ip());
            }
            case "cancel", "force-cancel" -> {
                access.requireToRun(user, taskId);
                JsonApi.comment(ctx);
                boolean force = action.equals("force-cancel");
                TaskView canceled = tasks.cancel(taskId, force);
                audit.record(
                        "task_canceled",
                        user.actor(),
                        taskId,
                        (force ? "forced cancel" : "cancel") + " from Terraform, status now "
                                + canceled.status().wireName(),
                        ctx.ip());
            }
            default -> throw ApiProblem.notFound("unknown_action", "runs have no action '" + action + "'");
        }
        ctx.status(202);
    }

    /** A plan or an apply, with the URL of its log, which carries a ticket since Terraform reads it without a token. */
    private void phase(Context ctx, String param, String prefix) {
        String id = ctx.pathParam(param);
        TaskView task = access.require(user(ctx), TfeIds.task(id, prefix), Role.READ);
        String logUrl = TerraformCloudRoutes.baseUrl(ctx)
                + ApiPaths.fill(
                        prefix.equals(TfeIds.PLAN) ? ApiPaths.TFE_PLAN_LOG : ApiPaths.TFE_APPLY_LOG,
                        id,
                        tickets.issue(id));
        JsonApi.render(
                ctx,
                200,
                prefix.equals(TfeIds.PLAN) ? TfeResources.plan(task, logUrl) : TfeResources.apply(task, logUrl));
    }

    /** Terraform polls with {@code offset} and {@code limit} in bytes; the ticket in the URL is the credential. */
    private void log(Context ctx, String param, String prefix) {
        String id = ctx.pathParam(param);
        tickets.require(id, ctx.pathParam("ticket"));
        TaskView task = tasks.get(TfeIds.task(id, prefix));
        long offset = QueryParams.longParam(ctx, "offset", 0);
        int limit = QueryParams.intParam(ctx, "limit", RunLogs.MAX_LIMIT);
        if (offset < 0) throw ApiProblem.badRequest("invalid_offset", "offset must be >= 0");
        if (limit < 1 || limit > RunLogs.MAX_LIMIT) {
            throw ApiProblem.badRequest("invalid_limit", "limit must be 1.." + RunLogs.MAX_LIMIT);
        }
        ctx.contentType("text/plain; charset=utf-8")
                .result(logs.read(task, prefix.equals(TfeIds.APPLY), offset, limit));
    }

    private Principal.User user(Context ctx) {
        return auth.user(ctx.header("Authorization"));
    }
}
