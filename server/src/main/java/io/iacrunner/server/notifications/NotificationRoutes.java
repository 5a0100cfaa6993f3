package io.iacrunner.server.notifications;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateNotificationRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/**
 * HTTP glue for a workspace's webhook destinations and their delivery log. Every endpoint needs the workspace's
 * {@code admin} role: a destination decides where the workspace's events go, and its URL may carry a credential.
 */
public final class NotificationRoutes implements Routes {
    private final Authenticator auth;
    private final NotificationService notifications;
    private final AuditLog audit;

    public NotificationRoutes(Authenticator auth, NotificationService notifications, AuditLog audit) {
        this.auth = auth;
        this.notifications = notifications;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.post(ApiPaths.WORKSPACE_NOTIFICATIONS, this::add);
        t.get(ApiPaths.WORKSPACE_NOTIFICATIONS, this::list);
        t.delete(ApiPaths.WORKSPACE_NOTIFICATION, this::remove);
        t.get(ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES, this::deliveries);
    }

    /** May create the workspace, so a token without a role there gets 403, as setting a variable does. */
    private void add(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        Principal.User user = auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> Authenticator.noRole(workspace));
        var created = notifications.add(workspace, Bodies.read(ctx, CreateNotificationRequest.class), user.name());
        audit.recordOnWorkspace(
                workspace,
                "notification_added",
                user.actor(),
                workspace,
                created.destination().destinationId() + " "
                        + created.destination().events(),
                ctx.ip());
        ctx.status(HttpStatus.CREATED).json(created);
    }

    private void list(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        ctx.json(notifications.list(workspace));
    }

    private void remove(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        Principal.User user = auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        String destination = ctx.pathParam("destination_id");
        notifications.remove(workspace, destination);
        audit.recordOnWorkspace(workspace, "notification_removed", user.actor(), workspace, destination, ctx.ip());
        ctx.status(HttpStatus.NO_CONTENT);
    }

    private void deliveries(Context ctx) {
        String workspace = OrgScope.workspace(ctx);
        auth.inWorkspace(
                ctx.header("Authorization"), workspace, Role.ADMIN, () -> WorkspaceService.notFound(workspace));
        ctx.json(notifications.deliveries(
                workspace, ctx.queryParam("task_id"), QueryParams.intParam(ctx, "limit", 100)));
    }
}
