package io.iacrunner.server.state;

import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.server.tasks.TaskStore.RunningAttempt;
import io.iacrunner.server.util.Rows;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about state versions. */
public final class StateStore {
    private final Jdbi jdbi;

    public StateStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The workspace's current version, its row locked so concurrent uploads are decided one at a time. */
    Optional<StateVersionView> lockCurrent(Handle h, String workspaceId) {
        h.createQuery("select workspace_id from workspaces where workspace_id = :ws for update")
                .bind("ws", workspaceId)
                .mapTo(String.class)
                .one();
        return h.createQuery("""
                        select s.workspace_id, s.version, s.serial, s.lineage, s.sha256, s.task_id, s.rollback_of, s.created_at,
                               s.pushed_by
                        from workspaces w
                        join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where w.workspace_id = :ws""").bind("ws", workspaceId).map(StateStore::view).findOne();
    }

    /**
     * A new version from the apply's upload, made current, only while it is still the running attempt (its own SQL
     * checks): 409 {@code stale_attempt}, storing nothing, once it has been superseded.
     */
    public StateVersionView insertFromApply(
            Handle h, RunningAttempt apply, int version, long serial, String lineage, String sha256, String state) {
        StateVersionView view = apply.fenced(h.createQuery("""
                        insert into state_versions (workspace_id, version, serial, lineage, sha256, state, task_id)
                        select workspace_id, :v, :serial, :lineage, :sha, :state, task_id from tasks where <still_running>
                        returning *"""))
                .bind("v", version)
                .bind("serial", serial)
                .bind("lineage", lineage)
                .bind("sha", sha256)
                .bind("state", state)
                .map(StateStore::view)
                .findOne()
                .orElseThrow(apply::superseded);
        makeCurrent(h, view);
        return view;
    }

    /** A new version holding the content of version {@code rollbackOf}, made current. */
    StateVersionView insertRollback(
            Handle h,
            String workspaceId,
            int version,
            long serial,
            String lineage,
            String sha256,
            String state,
            int rollbackOf) {
        return insertCurrent(h, workspaceId, version, serial, lineage, sha256, state, "rollback_of", rollbackOf);
    }

    private static void makeCurrent(Handle h, StateVersionView version) {
        h.createUpdate("update workspaces set current_state_version = :v where workspace_id = :ws")
                .bind("v", version.version())
                .bind("ws", version.workspaceId())
                .execute();
    }

    public Optional<String> currentState(String workspaceId) {
        return jdbi.withHandle(h ->
                h.createQuery("""
                        select s.state from workspaces w
                        join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where w.workspace_id = :ws""").bind("ws", workspaceId).mapTo(String.class).findOne());
    }

    /** The content of one version, if the workspace has it. */
    public Optional<String> state(String workspaceId, int version) {
        return jdbi.withHandle(h -> state(h, workspaceId, version));
    }

    /** The content of one version, read inside the caller's transaction. */
    Optional<String> state(Handle h, String workspaceId, int version) {
        return h.createQuery("select state from state_versions where workspace_id = :ws and version = :v")
                .bind("ws", workspaceId)
                .bind("v", version)
                .mapTo(String.class)
                .findOne();
    }

    /**
     * Who holds the workspace's lock, if anyone ("task T", or a local Terraform run with its lock ID); read under the
     * lock {@link #lockCurrent} took.
     */
    Optional<String> lockHolder(Handle h, String workspaceId) {
        return lockState(h, workspaceId).describe();
    }

    /** The workspace's lock: a task's, a local Terraform run's (by its lock ID), or neither. */
    record LockState(String taskId, String terraformLockId) {
        Optional<String> describe() {
            if (taskId != null) return Optional.of("task " + taskId);
            if (terraformLockId != null) return Optional.of("a local Terraform run (lock ID " + terraformLockId + ")");
            return Optional.empty();
        }
    }

    /** The workspace's lock, read under the lock {@link #lockCurrent} took. */
    LockState lockState(Handle h, String workspaceId) {
        return h.createQuery("select lock_task_id, terraform_lock_id from workspaces where workspace_id = :ws")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new LockState(rs.getString("lock_task_id"), rs.getString("terraform_lock_id")))
                .one();
    }

    /** A new version Terraform's CLI sent (no task wrote it), made current. */
    StateVersionView insertPushed(
            Handle h,
            String workspaceId,
            int version,
            long serial,
            String lineage,
            String sha256,
            String state,
            String pushedBy) {
        return insertCurrent(h, workspaceId, version, serial, lineage, sha256, state, "pushed_by", pushedBy);
    }

    /** A new version whose origin is {@code origin} (a column of ours: rollback_of, pushed_by), made current. */
    private static StateVersionView insertCurrent(
            Handle h,
            String workspaceId,
            int version,
            long serial,
            String lineage,
            String sha256,
            String state,
            String origin,
            Object originValue) {
        StateVersionView view = h.createQuery(
                        "insert into state_versions (workspace_id, version, serial, lineage, sha256," + " state, "
                                + origin + ") values (:ws, :v, :serial, :lineage, :sha, :state, :origin) returning *")
                .bind("ws", workspaceId)
                .bind("v", version)
                .bind("serial", serial)
                .bind("lineage", lineage)
                .bind("sha", sha256)
                .bind("state", state)
                .bind("origin", originValue)
                .map(StateStore::view)
                .one();
        makeCurrent(h, view);
        return view;
    }

    public boolean workspaceExists(String workspaceId) {
        return jdbi.withHandle(h -> h.createQuery("select 1 from workspaces where workspace_id = :ws")
                .bind("ws", workspaceId)
                .mapTo(Integer.class)
                .findOne()
                .isPresent());
    }

    public List<StateVersionView> versions(String workspaceId) {
        return jdbi.withHandle(h ->
                h.createQuery("""
                        select workspace_id, version, serial, lineage, sha256, task_id, rollback_of, created_at, pushed_by
                        from state_versions where workspace_id = :ws order by version desc""").bind("ws", workspaceId).map(StateStore::view).list());
    }

    private static StateVersionView view(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new StateVersionView(
                rs.getString("workspace_id"),
                rs.getInt("version"),
                rs.getLong("serial"),
                rs.getString("lineage"),
                rs.getString("sha256"),
                rs.getString("task_id"),
                Rows.nullableInt(rs, "rollback_of"),
                Rows.instant(rs, "created_at"),
                rs.getString("pushed_by"));
    }
}
