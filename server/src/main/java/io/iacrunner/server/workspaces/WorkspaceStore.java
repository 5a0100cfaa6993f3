package io.iacrunner.server.workspaces;

import org.jdbi.v3.core.Handle;

/** All SQL about workspaces. A workspace comes into being with its first task. */
public final class WorkspaceStore {
    public void ensure(Handle h, String workspaceId) {
        h.createUpdate("insert into workspaces (workspace_id) values (:id) on conflict do nothing")
                .bind("id", workspaceId).execute();
    }

    public boolean exists(Handle h, String workspaceId) {
        return h.createQuery("select 1 from workspaces where workspace_id = :id").bind("id", workspaceId)
                .mapTo(Integer.class).findOne().isPresent();
    }
}
