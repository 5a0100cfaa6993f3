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
        return require(user, tasks.get(taskId), role);
    }

    /** The task, if {@code user} holds the role that may start it, and so stop it. */
    public TaskView requireToRun(Principal.User user, String taskId) {
        TaskView task = tasks.get(taskId);
        return require(user, task, toRun(task.action()));
    }

    private static TaskView require(Principal.User user, TaskView task, Role role) {
        Authenticator.require(user, task.workspaceId(), Role.READ, () -> TaskService.notFound(task.taskId()));
        Authenticator.require(user, task.workspaceId(), role, () -> TaskService.notFound(task.taskId()));
        return task;
    }

    /** The role that may start (and so stop) a task of this action. */
    public static Role toRun(TaskAction action) {
        return action == TaskAction.PLAN_APPLY ? Role.APPLY : Role.PLAN;
    }
}
