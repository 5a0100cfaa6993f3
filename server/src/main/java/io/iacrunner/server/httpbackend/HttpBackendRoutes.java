package io.iacrunner.server.httpbackend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.HttpBackendSettings;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.state.StateService;
import io.iacrunner.server.workspaces.TerraformLocks;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Terraform's {@code http} state backend over each workspace's state, as Terraform's own client speaks it
 * (docs/terraform-cli.md): {@code GET} the current state (404: none yet), {@code POST} a new one ({@code ?ID=} the lock
 * it holds), {@code LOCK} and {@code UNLOCK} the workspace lock (423 with the holder's lock info when it is taken), an
 * {@code UNLOCK} without a body being {@code terraform force-unlock}. The token comes as basic auth's password (or as a
 * bearer token, from {@code ./iac state push}).
 */
public final class HttpBackendRoutes implements Routes {
    private final Authenticator auth;
    private final StateService states;
    private final TerraformLocks locks;
    private final WorkspaceService workspaces;
    private final AuditLog audit;

    public HttpBackendRoutes(
            Authenticator auth,
            StateService states,
            TerraformLocks locks,
            WorkspaceService workspaces,
            AuditLog audit) {
        this.auth = auth;
        this.states = states;
        this.locks = locks;
        this.workspaces = workspaces;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.WORKSPACE_TERRAFORM_STATE, this::state);
        t.post(ApiPaths.WORKSPACE_TERRAFORM_STATE, this::push);
        t.method(HttpBackendSettings.LOCK_METHOD, ApiPaths.WORKSPACE_TERRAFORM_LOCK, this::lock);
        t.method(HttpBackendSettings.UNLOCK_METHOD, ApiPaths.WORKSPACE_TERRAFORM_LOCK, this::unlock);
    }

    private void state(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        caller(ctx, workspace, Role.READ);
        ctx.contentType("application/json").result(states.current(workspace));
    }

    private void push(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        Principal.User user = caller(ctx, workspace, Role.APPLY);
        requireContentMd5(ctx);
        String lockId = ctx.queryParam("ID");
        StateVersionView stored = states.push(
                workspace,
                Bodies.read(ctx, ObjectNode.class),
                lockId == null || lockId.isEmpty() ? null : lockId,
                user.name());
        audit.recordOnWorkspace(
                workspace,
                "state_pushed",
                user.actor(),
                workspace,
                "state version " + stored.version() + " (serial " + stored.serial() + ")",
                ctx.ip());
        ctx.json(stored);
    }

    private void lock(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        caller(ctx, workspace, Role.APPLY);
        locks.lock(workspace, Bodies.read(ctx, ObjectNode.class))
                .ifPresent(held -> ctx.status(held.status()).json(held.body()));
    }

    /** Terraform's own unlock sends the lock info it locked with; its {@code force-unlock} sends nothing. */
    private void unlock(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        if (ctx.bodyAsBytes().length == 0) {
            Principal.User user = caller(ctx, workspace, Role.ADMIN);
            ctx.json(workspaces.unlock(workspace, true));
            audit.recordOnWorkspace(
                    workspace, "workspace_unlocked", user.actor(), workspace, "terraform force-unlock", ctx.ip());
            return;
        }
        caller(ctx, workspace, Role.APPLY);
        locks.unlock(workspace, Bodies.read(ctx, ObjectNode.class))
                .ifPresent(held -> ctx.status(held.status()).json(held.body()));
    }

    /**
     * A token without the role is refused with 403, also where it may not even read the workspace (elsewhere a 404):
     * Terraform reads a 404 as "no state yet", and would plan to create everything the state holds.
     */
    private Principal.User caller(Context ctx, String workspace, Role role) {
        Principal.User user = auth.basicOrBearer(ctx.header("Authorization"));
        Authenticator.require(user, workspace, role, () -> Authenticator.noRole(workspace));
        return user;
    }

    /** Terraform sends the body's MD5: a body that arrived otherwise than it was sent is refused. */
    private static void requireContentMd5(Context ctx) {
        String sent = ctx.header("Content-MD5");
        if (sent == null) return;
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("MD5").digest(ctx.bodyAsBytes());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!Base64.getEncoder().encodeToString(digest).equals(sent.trim())) {
            throw ApiProblem.badRequest(
                    "content_md5_mismatch", "the body's MD5 differs from its Content-MD5 header; nothing was written");
        }
    }
}
