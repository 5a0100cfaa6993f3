package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import org.jdbi.v3.core.Handle;

/**
 * Each workspace's next plan_apply ({@code workspaces.next_apply_task} and {@code next_apply_seq}): the oldest of its
 * queued plan_applies, the only one per-workspace FIFO lets the claim take. Kept as a side effect of the status of
 * plan_applies, written once: the store tells it of every plan_apply that enters queued (created, queued again after a
 * lost attempt or a hand-back, confirmed) or leaves it (claimed, canceled, errored). The claim reads applies from the
 * workspaces that may run theirs now, by a partial index, so applies queued behind a locked workspace, or behind an
 * older apply, cost it nothing.
 */
final class ApplyQueue {
    private ApplyQueue() {}

    /** {@code taskId}, of {@code action}, moved from {@code from} (null: it was just created) to {@code to}. */
    static void moved(Handle h, String workspaceId, String taskId, TaskAction action, TaskStatus from, TaskStatus to) {
        if (action != TaskAction.PLAN_APPLY || from == to) return;
        if (to == TaskStatus.QUEUED) entered(h, workspaceId, taskId);
        else if (from == TaskStatus.QUEUED) left(h, workspaceId, taskId);
    }

    /**
     * Locks the workspace row and returns the apply it names. Every change of the name locks the row first, also one
     * that turns out to change nothing: that is what orders an apply entering after, or before, another leaving. Were
     * the row locked only when written, an apply queued behind the next one would leave it alone, unlocked, and the
     * next one's leaving, not yet seeing it (uncommitted), would name none.
     */
    private static String lockNext(Handle h, String workspaceId) {
        return h.createQuery("select next_apply_task from workspaces where workspace_id = :ws for no key update")
                .bind("ws", workspaceId)
                .mapTo(String.class)
                .one();
    }

    /** It is next unless an older one is queued. */
    private static void entered(Handle h, String workspaceId, String taskId) {
        lockNext(h, workspaceId);
        h.createUpdate("""
                        update workspaces w set next_apply_task = t.task_id, next_apply_seq = t.seq
                        from tasks t
                        where t.task_id = :t and w.workspace_id = t.workspace_id
                          and (w.next_apply_seq is null or w.next_apply_seq > t.seq)""").bind("t", taskId).execute();
    }

    /**
     * Were it next, the oldest one still queued is now (or none), read by a statement of its own after the row is
     * locked: read committed gives it a snapshot taken once the row is ours, so it sees every apply whose creator has
     * locked the row before; one that has not yet waits for this change and compares itself with what it leaves.
     */
    private static void left(Handle h, String workspaceId, String taskId) {
        if (!taskId.equals(lockNext(h, workspaceId))) return;
        h.createUpdate("""
                        update workspaces set (next_apply_task, next_apply_seq) = (
                            select task_id, seq from tasks
                            where workspace_id = :ws and action = 'plan_apply' and status = 'queued'
                            order by seq limit 1)
                        where workspace_id = :ws""").bind("ws", workspaceId).execute();
    }
}
