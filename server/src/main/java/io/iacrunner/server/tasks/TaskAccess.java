package io.iacrunner.server.tasks;

import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;

/**
 * What a user token may do with a task, judged by its role in the task's workspace: a task in a workspace it may not
 * read is a 404, exactly like one that does not exist.
 */
public final class TaskAccess {
    private final TaskService tasks;

    public TaskAccess(TaskService tasks) {
        this.tasks = tasks;
    }

    /** The task, if {@code user} holds at least {@code role} in its workspace. */
    public TaskView require(Principal.User user, String taskId, Role role) {
        TaskView task = tasks.get(taskId);
        Authenticator.require(user, task.workspaceId(), Role.READ, () -> TaskService.notFound(taskId));
        Authenticator.require(user, task.workspaceId(), role, () -> TaskService.notFound(taskId));
        return task;
    }

    /** The role that may start (and so stop) a task of this action. */
    public static Role toRun(TaskAction action) {
        return action == TaskAction.PLAN_APPLY ? Role.APPLY : Role.PLAN;
    }
}
