package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The workspace lock as a side effect of its plan_apply's status, written once: the claim takes it; a plan waiting for
 * confirmation keeps it (planned, and queued again once confirmed, so nothing else applies between the review and
 * the apply); an end releases it, or keeps it naming why a person must look first (the apply may have changed
 * resources that no state records). Plans hold no lock. A local Terraform run holds the same lock through the http
 * backend ({@code workspaces.TerraformLocks}); the claim takes none while it does. A person's forced unlock is the
 * workspaces feature's, not a status change.
 */
final class WorkspaceLock {
    /** The lock's reason while its apply runs, or runs again after its agent was unreachable. */
    static final String HELD_BY_RUNNING_APPLY = "held by its running plan_apply";

    private WorkspaceLock() {}

    /**
     * The {@code chosen} candidates less a plan_apply whose workspace another holder (a local Terraform run) locked since the
     * candidates were read (its lock is taken outside the claim: {@code workspaces.TerraformLocks}), or that is no longer
     * its workspace's next ({@link ApplyQueue}: an older one was queued again meanwhile). The workspace's row stays
     * locked until the claim commits, so nothing can change either between this check and {@link #claimed}.
     *
     * @param candidates task id, action and workspace id of each candidate
     */
    static List<String> stillFree(Handle h, List<String[]> candidates, List<String> chosen) {
        List<String> free = new ArrayList<>(chosen);
        for (String[] c : candidates) {
            if (!chosen.contains(c[0]) || TaskAction.fromWire(c[1]) != TaskAction.PLAN_APPLY) continue;
            boolean unlocked = h.createQuery("""
                            select (lock_task_id is null or lock_task_id = :t) and terraform_lock_id is null
                                and coalesce(next_apply_task = :t, false)
                            from workspaces where workspace_id = :ws for update""")
                    .bind("ws", c[2])
                    .bind("t", c[0])
                    .mapTo(Boolean.class)
                    .one();
            if (!unlocked) free.remove(c[0]);
        }
        return free;
    }

    /**
     * A claimed plan_apply takes its workspace's lock; the claim picked it only while the workspace was unlocked, or
     * locked by this very task (a confirmed plan, whose apply is claimed now).
     */
    static void claimed(Handle h, String workspaceId, String taskId, TaskAction action) {
        if (action != TaskAction.PLAN_APPLY) return;
        int locked = h.createUpdate("""
                        update workspaces set lock_task_id = :t, lock_reason = :reason, locked_at = now()
                        where workspace_id = :ws and (lock_task_id is null or lock_task_id = :t) and terraform_lock_id is null""")
                .bind("t", taskId)
                .bind("reason", HELD_BY_RUNNING_APPLY)
                .bind("ws", workspaceId)
                .execute();
        if (locked != 1)
            throw new IllegalStateException("workspace " + workspaceId + " was locked under the claim of " + taskId);
    }

    /**
     * {@code task} moved from {@code from} to its status now. Planned, or queued again after a confirm: the lock stays
     * with it. Out of running otherwise, or ended: released, unless {@code keptBecause} says why it stays. A task that
     * does not hold the lock (a plan, or a plan_apply never claimed) changes nothing.
     */
    static void moved(Handle h, TaskView task, TaskStatus from, String keptBecause) {
        if (task.action() != TaskAction.PLAN_APPLY) return;
        if (task.status() == TaskStatus.PLANNED) {
            holdBecause(h, task.taskId(), "task " + task.taskId() + " waits for confirmation of its plan");
        } else if (from == TaskStatus.PLANNED && task.status() == TaskStatus.QUEUED) {
            holdBecause(h, task.taskId(), "task " + task.taskId() + " was confirmed: its apply is queued");
        } else if (from == TaskStatus.RUNNING || task.status().isTerminal()) {
            if (keptBecause != null) holdBecause(h, task.taskId(), keptBecause);
            else release(h, task.taskId());
        }
    }

    /** Keeps the lock {@code taskId} holds, now naming why. */
    static void holdBecause(Handle h, String taskId, String reason) {
        h.createUpdate("update workspaces set lock_reason = :r where lock_task_id = :t")
                .bind("r", reason)
                .bind("t", taskId)
                .execute();
    }

    private static void release(Handle h, String taskId) {
        h.createUpdate(
                        "update workspaces set lock_task_id = null, lock_reason = null, locked_at = null where lock_task_id = :t")
                .bind("t", taskId)
                .execute();
    }
}
