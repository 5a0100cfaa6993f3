package io.iacrunner.server.notifications;

import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.tasks.TaskEvents;
import io.iacrunner.server.util.Cidr;
import io.iacrunner.server.util.StoreClock;
import io.iacrunner.server.workspaces.WorkspaceStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The notifications feature as the server wires it: the outbox the task store writes into ({@link #events}), the
 * service behind the routes, and the deliverer that sends from the outbox in the background.
 */
public final class Notifications implements AutoCloseable {
    private final NotificationService service;
    private final Outbox outbox;
    private final Deliverer deliverer;

    private Notifications(NotificationService service, Outbox outbox, Deliverer deliverer) {
        this.service = service;
        this.outbox = outbox;
        this.deliverer = deliverer;
    }

    /**
     * @param allowed the internal address blocks destinations may reach nonetheless ({@code --notify-allow})
     * @param every how often the deliverer looks for due deliveries when nothing wakes it
     */
    public static Notifications start(
            Jdbi jdbi,
            SecretBox box,
            WorkspaceStore workspaces,
            List<Cidr> allowed,
            Clock clock,
            StoreClock storeClock,
            StoreAvailability availability,
            MeterRegistry registry,
            Duration every) {
        NotificationStore store = new NotificationStore(storeClock);
        AddressPolicy addresses = new AddressPolicy(allowed);
        Deliverer deliverer = new Deliverer(jdbi, store, box, addresses, clock, availability, registry);
        Outbox outbox = new Outbox(store, deliverer::wake, clock);
        NotificationService service = new NotificationService(jdbi, store, workspaces, box, addresses);
        return new Notifications(service, outbox, deliverer.start(every));
    }

    /** What the task store tells of every status change, to queue the notifications in its transaction. */
    public TaskEvents events() {
        return outbox;
    }

    public NotificationService service() {
        return service;
    }

    /** One delivery round now, waiting for the answers (tests step it after moving the clock). */
    public int deliverDue() {
        return deliverer.deliverDue();
    }

    @Override
    public void close() {
        deliverer.close();
    }
}
