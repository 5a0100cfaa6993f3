package io.iacrunner.server.workspaces;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceSummary;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.RunTimeFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about workspaces. A workspace comes into being with its first task. */
public final class WorkspaceStore {
    private final Jdbi jdbi;
    private final boolean autoApplyDefault;

    /** @param autoApplyDefault the auto-apply setting of a workspace created from now on */
    public WorkspaceStore(Jdbi jdbi, boolean autoApplyDefault) {
        this.jdbi = jdbi;
        this.autoApplyDefault = autoApplyDefault;
    }

    /** Creates the workspace if it is new; 404 {@code org_not_found} when its organisation does not exist. */
    public void ensure(Handle h, String workspaceId) {
        boolean orgExists = h.createQuery("select exists (select 1 from organisations where org_id = :o)")
                .bind("o", OrgNames.orgOf(workspaceId))
                .mapTo(Boolean.class)
                .one();
        if (!orgExists) throw ApiProblem.notFound("org_not_found", "no organisation " + OrgNames.orgOf(workspaceId));
        h.createUpdate("insert into workspaces (workspace_id, auto_apply) values (:id, :auto) on conflict do nothing")
                .bind("id", workspaceId)
                .bind("auto", autoApplyDefault)
                .execute();
    }

    /** Whether the workspace's plan_applys apply without waiting for confirmation. */
    public boolean autoApply(Handle h, String workspaceId) {
        return h.createQuery("select auto_apply from workspaces where workspace_id = :ws")
                .bind("ws", workspaceId)
                .mapTo(Boolean.class)
                .one();
    }

    public boolean exists(Handle h, String workspaceId) {
        return h.createQuery("select exists (select 1 from workspaces where workspace_id = :ws)")
                .bind("ws", workspaceId)
                .mapTo(Boolean.class)
                .one();
    }

    /** Locks the workspace's row until the transaction ends: changes that check and then write take turns. */
    public void lockRow(Handle h, String workspaceId) {
        h.createQuery("select workspace_id from workspaces where workspace_id = :ws for update")
                .bind("ws", workspaceId)
                .mapTo(String.class)
                .one();
    }

    /** The version the workspace's tasks run unless they name one; empty when it names none. */
    public Optional<String> terraformVersion(Handle h, String workspaceId) {
        return h.createQuery("select terraform_version from workspaces where workspace_id = :ws")
                .bind("ws", workspaceId)
                .mapTo(String.class)
                .findOne();
    }

    /**
     * Whether pool {@code poolId} is granted to the workspace: to its whole organisation, or to it alone. Only such a
     * pool may be the one a workspace names.
     */
    public boolean poolGranted(Handle h, String workspaceId, String poolId) {
        return h.createQuery("""
                        select exists (select 1 from pool_grants where pool_id = :p and org_id = :o
                                       and (workspace_id is null or workspace_id = :ws))""")
                .bind("p", poolId)
                .bind("o", OrgNames.orgOf(workspaceId))
                .bind("ws", workspaceId)
                .mapTo(Boolean.class)
                .one();
    }

    /** @param maxRunSeconds null: the pool's */
    void updateSettings(Handle h, String workspaceId, WorkspaceSettings settings, Integer maxRunSeconds) {
        h.createUpdate("""
                        update workspaces set terraform_version = :tfv, max_run_seconds = :maxRun,
                            auto_apply = coalesce(:auto, auto_apply),
                            pool_id = case when cast(:pool as text) is null then pool_id else nullif(:pool, '') end,
                            max_plans_running = case when cast(:maxPlans as int) is null then max_plans_running
                                                     else nullif(:maxPlans, 0) end,
                            weight = coalesce(:weight, weight)
                        where workspace_id = :ws""")
                .bind("weight", settings.weight())
                .bind("pool", settings.pool())
                .bind("maxPlans", settings.maxPlansRunning())
                .bind("tfv", settings.terraformVersion())
                .bind("auto", settings.autoApply())
                .bind("maxRun", maxRunSeconds)
                .bind("ws", workspaceId)
                .execute();
    }

    public Optional<WorkspaceView> find(String workspaceId) {
        return jdbi.withHandle(h -> find(h, workspaceId));
    }

    /** The lock holder's status, with the workspace row locked: empty when the workspace is unlocked. */
    /** The task holding the workspace's lock, and its status. */
    record LockHolder(String taskId, String status) {}

    Optional<LockHolder> lockHolder(Handle h, String workspaceId) {
        lockRow(h, workspaceId);
        return h.createQuery("""
                        select t.task_id, t.status from workspaces w join tasks t on t.task_id = w.lock_task_id
                        where w.workspace_id = :ws""")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new LockHolder(rs.getString("task_id"), rs.getString("status")))
                .findOne();
    }

    void unlock(Handle h, String workspaceId) {
        h.createUpdate("""
                        update workspaces set lock_task_id = null, lock_reason = null, locked_at = null,
                            terraform_lock_id = null, terraform_lock_info = null
                        where workspace_id = :ws""").bind("ws", workspaceId).execute();
    }

    Optional<WorkspaceView> find(Handle h, String workspaceId) {
        return h.createQuery("""
                        select w.workspace_id, w.created_at, w.lock_task_id, w.lock_reason, w.locked_at, w.terraform_lock_id,
                               w.current_state_version, w.terraform_version, w.max_run_seconds, w.auto_apply,
                               w.org_id, w.pool_id, w.max_plans_running, w.weight,
                               s.serial as current_state_serial, s.state::jsonb -> 'outputs' as outputs
                        from workspaces w
                        left join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where w.workspace_id = :ws""")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new WorkspaceView(
                        rs.getString("workspace_id"),
                        lock(rs),
                        Rows.nullableInt(rs, "current_state_version"),
                        nullableLong(rs, "current_state_serial"),
                        Rows.instant(rs, "created_at"),
                        outputs(Rows.object(rs, "outputs")),
                        rs.getString("terraform_version"),
                        RunTimeFormat.format(Rows.nullableInt(rs, "max_run_seconds")),
                        rs.getBoolean("auto_apply"),
                        rs.getString("org_id"),
                        OrgNames.nameOf(rs.getString("workspace_id")),
                        rs.getString("pool_id"),
                        Rows.nullableInt(rs, "max_plans_running"),
                        rs.getInt("weight")))
                .findOne();
    }

    /** Workspaces by name, each with its lock, current state and newest task (one index probe per workspace). */
    public List<WorkspaceSummary> list(String org, int limit, java.util.Set<String> visible) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select w.workspace_id, w.created_at, w.lock_task_id, w.lock_reason, w.locked_at, w.terraform_lock_id,
                               w.current_state_version, s.serial as current_state_serial,
                               t.task_id, t.action, t.status, t.created_at as task_created_at, t.finished_at
                        from workspaces w
                        left join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        left join lateral (select task_id, action, status, created_at, finished_at from tasks
                                           where workspace_id = w.workspace_id order by seq desc limit 1) t on true
                        where w.org_id = :org and (cast(:everything as boolean) or w.workspace_id = any(:visible))
                        order by w.workspace_id limit :limit""")
                .bind("org", org)
                .bind("everything", visible == null)
                .bindArray("visible", String.class, visible == null ? List.of() : List.copyOf(visible))
                .bind("limit", limit)
                .map((rs, ctx) -> {
                    String taskId = rs.getString("task_id");
                    return new WorkspaceSummary(
                            rs.getString("workspace_id"),
                            lock(rs),
                            Rows.nullableInt(rs, "current_state_version"),
                            nullableLong(rs, "current_state_serial"),
                            Rows.instant(rs, "created_at"),
                            taskId == null
                                    ? null
                                    : new WorkspaceSummary.LastTask(
                                            taskId,
                                            TaskAction.fromWire(rs.getString("action")),
                                            TaskStatus.fromWire(rs.getString("status")),
                                            Rows.instant(rs, "task_created_at"),
                                            Rows.instant(rs, "finished_at")));
                })
                .list());
    }

    /** Who holds a workspace's lock, as a local Terraform run meeting it is told: a task, or a Terraform lock. */
    record Holder(
            String taskId,
            String taskStatus,
            String agentId,
            String terraformVersion,
            String reason,
            java.time.Instant lockedAt,
            String terraformLockId,
            String terraformLockInfo) {}

    /** The workspace's lock holder, with the row locked until the transaction ends; empty when it is free. */
    Optional<Holder> holder(Handle h, String workspaceId) {
        lockRow(h, workspaceId);
        return h.createQuery("""
                        select w.lock_task_id, t.status, t.agent_id, t.terraform_version, w.lock_reason, w.locked_at,
                               w.terraform_lock_id, w.terraform_lock_info
                        from workspaces w left join tasks t on t.task_id = w.lock_task_id
                        where w.workspace_id = :ws and (w.lock_task_id is not null or w.terraform_lock_id is not null)""")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new Holder(
                        rs.getString("lock_task_id"),
                        rs.getString("status"),
                        rs.getString("agent_id"),
                        rs.getString("terraform_version"),
                        rs.getString("lock_reason"),
                        Rows.instant(rs, "locked_at"),
                        rs.getString("terraform_lock_id"),
                        rs.getString("terraform_lock_info")))
                .findOne();
    }

    /** A local Terraform run takes the free lock (under the row lock {@link #holder} took). */
    void lockForTerraform(Handle h, String workspaceId, String lockId, String lockInfo, String reason) {
        h.createUpdate("""
                        update workspaces set terraform_lock_id = :id, terraform_lock_info = :info, lock_reason = :reason,
                            locked_at = now()
                        where workspace_id = :ws and lock_task_id is null and terraform_lock_id is null""")
                .bind("id", lockId)
                .bind("info", lockInfo)
                .bind("reason", reason)
                .bind("ws", workspaceId)
                .execute();
    }

    /** Releases the lock the local Terraform run {@code lockId} holds; false when it holds none here. */
    boolean unlockForTerraform(Handle h, String workspaceId, String lockId) {
        return h.createUpdate("""
                        update workspaces set terraform_lock_id = null, terraform_lock_info = null, lock_reason = null,
                            locked_at = null
                        where workspace_id = :ws and terraform_lock_id = :id""").bind("ws", workspaceId).bind("id", lockId).execute() == 1;
    }

    private static WorkspaceView.Lock lock(java.sql.ResultSet rs) throws java.sql.SQLException {
        String holder = rs.getString("lock_task_id");
        String terraformLock = rs.getString("terraform_lock_id");
        return holder == null && terraformLock == null
                ? null
                : new WorkspaceView.Lock(
                        holder, rs.getString("lock_reason"), Rows.instant(rs, "locked_at"), terraformLock);
    }

    private static Long nullableLong(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    /** Terraform's {@code outputs} object, each value withheld when Terraform marks it sensitive. */
    private static Map<String, WorkspaceView.Output> outputs(ObjectNode outputs) {
        Map<String, WorkspaceView.Output> result = new TreeMap<>();
        if (outputs == null) return result;
        outputs.properties().forEach(e -> {
            boolean sensitive = e.getValue().path("sensitive").asBoolean(false);
            result.put(
                    e.getKey(),
                    new WorkspaceView.Output(sensitive ? null : e.getValue().get("value"), sensitive));
        });
        return result;
    }
}
