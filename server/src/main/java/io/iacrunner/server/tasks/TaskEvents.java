package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskView;
import org.jdbi.v3.core.Handle;

/**
 * Told of every status change {@link TaskStore} makes but the claim, inside the transaction that makes it: what it
 * writes with {@code h} commits or rolls back with the change (the notification outbox), and it must not wait on
 * anything outside the store.
 */
@FunctionalInterface
public interface TaskEvents {
    TaskEvents NONE = (h, task) -> {};

    void moved(Handle h, TaskView task);
}
