package io.iacrunner.server.tfapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.util.OrgNames;
import java.util.Optional;

/**
 * Our workspaces, tasks and state versions as the JSON:API resources Terraform's client reads: only the attributes it
 * reads (docs/terraform-cli.md), each from the one thing of ours it means. {@code baseUrl} makes the absolute URLs
 * Terraform fetches as given (logs, state).
 */
final class TfeResources {
    private TfeResources() {}

    static ObjectNode workspace(WorkspaceView workspace, Optional<Role> role) {
        ObjectNode resource = JsonApi.resource("workspaces", TfeIds.workspace(workspace.workspaceId()));
        ObjectNode a = JsonApi.attributes(resource);
        a.put("name", OrgNames.nameOf(workspace.workspaceId()))
                // "latest": no version of its own, and so no conflict with the local Terraform's.
                .put(
                        "terraform-version",
                        workspace.terraformVersion() == null ? "latest" : workspace.terraformVersion())
                .put("execution-mode", "remote")
                .put("operations", true)
                .put("locked", workspace.lock() != null)
                .put("auto-apply", workspace.autoApply())
                .put("working-directory", "")
                // Our logs are Terraform's own text, which the client prints as it comes.
                .put("structured-run-output-enabled", false);
        boolean plan = role.map(r -> r.includes(Role.PLAN)).orElse(false);
        boolean apply = role.map(r -> r.includes(Role.APPLY)).orElse(false);
        a.putObject("permissions")
                .put("can-read-state-versions", role.isPresent())
                .put("can-queue-run", plan)
                .put("can-queue-apply", apply)
                .put("can-update", role.map(r -> r.includes(Role.ADMIN)).orElse(false));
        a.putObject("actions").put("is-destroyable", false);
        return JsonApi.relate(resource, "organization", "organizations", OrgNames.orgOf(workspace.workspaceId()));
    }

    static ObjectNode run(TaskView task, Optional<Role> role) {
        RunPhases phases = new RunPhases(task);
        ObjectNode resource = JsonApi.resource("runs", TfeIds.RUN + task.taskId());
        RunOptions options = task.runOptions() == null ? RunOptions.NORMAL : task.runOptions();
        boolean apply = role.map(r -> r.includes(Role.APPLY)).orElse(false);
        boolean run = role.map(r -> r.includes(task.action() == TaskAction.PLAN ? Role.PLAN : Role.APPLY))
                .orElse(false);
        ObjectNode a = JsonApi.attributes(resource);
        a.put("status", phases.runStatus())
                .put("has-changes", phases.hasChanges())
                .put("is-destroy", options.destroy())
                .put("refresh-only", options.refreshOnly())
                .put("plan-only", task.action() == TaskAction.PLAN)
                .put("auto-apply", phases.autoApplied())
                .put("source", "terraform+cloud")
                .put("message", "iac-runner task " + task.taskId());
        a.putObject("actions")
                .put("is-cancelable", phases.cancelable())
                .put("is-force-cancelable", phases.forceCancelable())
                .put("is-confirmable", phases.confirmable())
                .put("is-discardable", phases.confirmable());
        a.putObject("permissions")
                .put("can-apply", apply)
                .put("can-discard", apply)
                .put("can-cancel", run)
                .put("can-force-cancel", run);
        JsonApi.relate(resource, "workspace", "workspaces", TfeIds.workspace(task.workspaceId()));
        JsonApi.relate(resource, "plan", "plans", TfeIds.PLAN + task.taskId());
        return JsonApi.relate(resource, "apply", "applies", TfeIds.APPLY + task.taskId());
    }

    static ObjectNode plan(TaskView task, String logUrl) {
        RunPhases phases = new RunPhases(task);
        ObjectNode resource = JsonApi.resource("plans", TfeIds.PLAN + task.taskId());
        ObjectNode a = JsonApi.attributes(resource);
        a.put("status", phases.planStatus())
                .put("has-changes", phases.hasChanges())
                .put("log-read-url", logUrl);
        counts(a, task.planSummary());
        return resource;
    }

    static ObjectNode apply(TaskView task, String logUrl) {
        ObjectNode resource = JsonApi.resource("applies", TfeIds.APPLY + task.taskId());
        ObjectNode a = JsonApi.attributes(resource);
        a.put("status", new RunPhases(task).applyStatus()).put("log-read-url", logUrl);
        counts(a, task.planSummary());
        return resource;
    }

    private static void counts(ObjectNode attributes, PlanSummary summary) {
        attributes
                .put("resource-additions", summary == null ? 0 : summary.add().size())
                .put("resource-changes", summary == null ? 0 : summary.change().size())
                .put(
                        "resource-destructions",
                        summary == null ? 0 : summary.destroy().size());
    }

    static ObjectNode stateVersion(WorkspaceView workspace, String baseUrl) {
        String id = TfeIds.stateVersion(workspace.workspaceId(), workspace.currentStateVersion());
        ObjectNode resource = JsonApi.resource("state-versions", id);
        String download = baseUrl + ApiPaths.fill(ApiPaths.TFE_STATE_DOWNLOAD, id);
        JsonApi.attributes(resource)
                .put("serial", workspace.currentStateSerial())
                .put("download-url", download)
                .put("hosted-state-download-url", download)
                .put("resources-processed", true);
        return resource;
    }

    /**
     * An output without its {@code detailed-type}: Terraform then reads the outputs from the whole state, with their
     * types and sensitive values, which the read role may download anyway.
     */
    static ObjectNode output(WorkspaceView workspace, String name, WorkspaceView.Output output) {
        ObjectNode resource = JsonApi.resource(
                "state-version-outputs",
                "wsout-" + OrgNames.orgOf(workspace.workspaceId()) + ":" + OrgNames.nameOf(workspace.workspaceId())
                        + ":" + name);
        JsonApi.attributes(resource)
                .put("name", name)
                .put("sensitive", output.sensitive())
                .set("value", output.value());
        return resource;
    }
}
