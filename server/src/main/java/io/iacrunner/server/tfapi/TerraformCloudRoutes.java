package io.iacrunner.server.tfapi;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.orgs.OrgService;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.state.StateService;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import java.util.Map;

/**
 * Terraform's {@code cloud} block up to its runs (docs/terraform-cli.md): service discovery and the API client's ping
 * (public, as in Terraform Cloud: they say nothing about any workspace), the organisation's entitlements, the
 * workspace by name (created when Terraform asks for a new one), and its current state and outputs ({@code terraform
 * state list}, {@code terraform output}). A workspace or organisation the token may not see is a 404, as elsewhere.
 */
public final class TerraformCloudRoutes implements Routes {
    /**
     * The API version announced on the ping. Terraform's {@code cloud} block needs 2.5 or later; the version says what
     * the client may expect, and only the part Terraform's CLI uses is built.
     */
    static final String API_VERSION = "2.5";

    private final Authenticator auth;
    private final OrgService orgs;
    private final WorkspaceService workspaces;
    private final StateService states;
    private final AuditLog audit;

    public TerraformCloudRoutes(
            Authenticator auth, OrgService orgs, WorkspaceService workspaces, StateService states, AuditLog audit) {
        this.auth = auth;
        this.orgs = orgs;
        this.workspaces = workspaces;
        this.states = states;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.TERRAFORM_DISCOVERY, this::discovery);
        t.get(ApiPaths.TFE_PING, this::ping);
        t.get(ApiPaths.TFE_ENTITLEMENTS, this::entitlements);
        t.get(ApiPaths.TFE_ORG_WORKSPACE, this::workspace);
        t.post(ApiPaths.TFE_ORG_WORKSPACES, this::createWorkspace);
        t.get(ApiPaths.TFE_WORKSPACE, this::workspaceById);
        t.get(ApiPaths.TFE_CURRENT_STATE, this::currentState);
        t.get(ApiPaths.TFE_CURRENT_OUTPUTS, this::currentOutputs);
        t.get(ApiPaths.TFE_STATE_DOWNLOAD, this::download);
    }

    /** Relative URLs: Terraform resolves them against the discovery document's own, so any host name works. */
    private void discovery(Context ctx) {
        ctx.json(Map.of(
                "tfe.v2", ApiPaths.TFE_PREFIX, "tfe.v2.1", ApiPaths.TFE_PREFIX, "tfe.v2.2", ApiPaths.TFE_PREFIX));
    }

    private void ping(Context ctx) {
        ctx.header("TFP-API-Version", API_VERSION).status(204);
    }

    /** Terraform reads them to learn that the organisation exists and runs remote operations. */
    private void entitlements(Context ctx) {
        String org = orgs.visible(user(ctx), ctx.pathParam("org")).orgId();
        var resource = JsonApi.resource("entitlement-sets", "org-" + org);
        JsonApi.attributes(resource)
                .put("operations", true)
                .put("state-storage", true)
                .put("private-module-registry", false)
                .put("sentinel", false)
                .put("teams", false)
                .put("vcs-integrations", false);
        JsonApi.render(ctx, 200, resource);
    }

    private void workspace(Context ctx) {
        Principal.User user = user(ctx);
        String key = key(ctx.pathParam("org"), ctx.pathParam("name"));
        CloudRuns.requireRole(user, key, Role.READ);
        JsonApi.render(ctx, 200, TfeResources.workspace(workspaces.get(key), user.roleIn(key)));
    }

    private void workspaceById(Context ctx) {
        Principal.User user = user(ctx);
        String key = TfeIds.workspaceKey(ctx.pathParam("workspace_id"));
        CloudRuns.requireRole(user, key, Role.READ);
        JsonApi.render(ctx, 200, TfeResources.workspace(workspaces.get(key), user.roleIn(key)));
    }

    /** Terraform creates the workspace its configuration names when there is none: as a first task would (plan role). */
    private void createWorkspace(Context ctx) {
        Principal.User user = user(ctx);
        String org = ctx.pathParam("org");
        JsonApi.Data data = JsonApi.read(ctx, "workspaces");
        String name = data.string("name");
        if (name == null) throw JsonApi.invalid("attribute name", "is required");
        if (!Ids.NAME.matcher(name).matches()) {
            throw JsonApi.invalid("attribute name", "must be 1-64 letters, digits, '.', '_' or '-'");
        }
        String key = key(org, name);
        CloudRuns.requireRole(user, key, Role.PLAN);
        WorkspaceView created = workspaces.create(key);
        audit.record("workspace_created", user.actor(), key, "by Terraform's cloud block", ctx.ip());
        JsonApi.render(ctx, 201, TfeResources.workspace(created, user.roleIn(key)));
    }

    /** 404 when there is no state yet: Terraform reads that as an empty state. */
    private void currentState(Context ctx) {
        WorkspaceView workspace = readable(ctx);
        if (workspace.currentStateVersion() == null) {
            throw ApiProblem.notFound("no_state", "workspace " + workspace.workspaceId() + " has no state yet");
        }
        JsonApi.render(ctx, 200, TfeResources.stateVersion(workspace, baseUrl(ctx)));
    }

    private void currentOutputs(Context ctx) {
        WorkspaceView workspace = readable(ctx);
        JsonApi.renderList(
                ctx,
                workspace.outputs().entrySet().stream()
                        .map(o -> TfeResources.output(workspace, o.getKey(), o.getValue()))
                        .toList());
    }

    private void download(Context ctx) {
        TfeIds.StateVersion version = TfeIds.stateVersion(ctx.pathParam("sv_id"));
        CloudRuns.requireRole(user(ctx), version.workspaceKey(), Role.READ);
        ctx.contentType("application/json").result(states.version(version.workspaceKey(), version.version()));
    }

    private WorkspaceView readable(Context ctx) {
        String key = TfeIds.workspaceKey(ctx.pathParam("workspace_id"));
        CloudRuns.requireRole(user(ctx), key, Role.READ);
        return workspaces.get(key);
    }

    private Principal.User user(Context ctx) {
        return auth.user(ctx.header("Authorization"));
    }

    /** The key of workspace {@code name} of {@code org}; names that cannot be ours name nothing (404). */
    private static String key(String org, String name) {
        if (!Ids.NAME.matcher(org).matches() || !Ids.NAME.matcher(name).matches()) {
            throw ApiProblem.notFound("workspace_not_found", "no workspace " + org + "/" + name);
        }
        return OrgNames.qualify(org, name);
    }

    /** Where this request reached us: the URLs Terraform fetches as given are built on it. */
    static String baseUrl(Context ctx) {
        return ctx.scheme() + "://" + ctx.host();
    }
}
