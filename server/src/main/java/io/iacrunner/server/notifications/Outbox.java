package io.iacrunner.server.notifications;

import io.iacrunner.protocol.NotificationEvent;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.tasks.TaskEvents;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Rows;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * Writes a delivery for every destination subscribed to the status a task just reached, in the transaction of that
 * change: the change and its notifications commit together or not at all, and nothing is sent from here (the
 * {@link Deliverer} sends from the outbox), so a slow or dead receiver never holds a task back.
 */
final class Outbox implements TaskEvents {
    private final NotificationStore store;
    private final Runnable wake;
    private final Clock clock;

    Outbox(NotificationStore store, Runnable wake, Clock clock) {
        this.store = store;
        this.wake = wake;
        this.clock = clock;
    }

    @Override
    public void moved(Handle h, TaskView task) {
        String event = task.status().wireName();
        if (!NotificationService.EVENTS.contains(event)) return;
        List<String> destinations = store.subscribed(h, task.workspaceId(), event);
        if (destinations.isEmpty()) return;
        Instant at = task.finishedAt() != null ? task.finishedAt() : clock.instant();
        for (String destination : destinations) {
            String deliveryId = "d-" + Ids.task().substring(2);
            NotificationEvent body = new NotificationEvent(
                    deliveryId,
                    event,
                    at,
                    task.workspaceId(),
                    task.taskId(),
                    task.action(),
                    task.status(),
                    task.message(),
                    task.exitCode(),
                    task.planSummary(),
                    task.needsConfirmation(),
                    task.runOptions());
            store.enqueue(h, deliveryId, destination, task.workspaceId(), task.taskId(), event, Rows.json(body));
        }
        h.afterCommit(wake::run);
    }
}
