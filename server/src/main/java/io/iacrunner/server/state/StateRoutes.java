package io.iacrunner.server.state;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RollbackRequest;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.JobUploads;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import java.util.Map;

/** HTTP glue for state versions. */
public final class StateRoutes implements Routes {
    private final Authenticator auth;
    private final StateService states;

    public StateRoutes(Authenticator auth, StateService states) {
        this.auth = auth;
        this.states = states;
    }

    @Override
    public void register(RouteTable t) {
        t.put(ApiPaths.TASK_STATE, this::upload); // the agent running an attempt
        t.get(ApiPaths.WORKSPACE_STATE, this::current);
        t.get(ApiPaths.WORKSPACE_STATE_VERSIONS, this::versions);
        t.post(ApiPaths.WORKSPACE_STATE_ROLLBACK, this::rollback);
    }

    private void upload(Context ctx) {
        var upload = JobUploads.read(auth, ctx, StateUpload.class);
        ctx.json(states.upload(upload.taskId(), upload.agentId(), upload.body()));
    }

    /** The current state, or with {@code ?version=N} that version's. */
    private void current(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.READ, () -> WorkspaceService.notFound(workspace));
        if (ctx.queryParam("version") == null) {
            ctx.contentType("application/json").result(states.current(workspace));
            return;
        }
        long version = QueryParams.longParam(ctx, "version", 0);
        if (version < 1 || version > Integer.MAX_VALUE)
            throw ApiProblem.badRequest("invalid_version", "version must be a version number >= 1");
        ctx.contentType("application/json").result(states.version(workspace, (int) version));
    }

    /** Rewrites what Terraform believes exists: the workspace's admins only. */
    private void rollback(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        ctx.json(states.rollback(workspace, Bodies.read(ctx, RollbackRequest.class)));
    }

    private void versions(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(ctx.header("Authorization"), workspace, Role.READ, () -> WorkspaceService.notFound(workspace));
        ctx.json(Map.of("versions", states.versions(workspace)));
    }
}
