package io.iacrunner.server.notifications;

import io.iacrunner.protocol.DeliveryView;
import io.iacrunner.protocol.NotificationView;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.StoreClock;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * All SQL about notifications: the destinations and the outbox, which is also the delivery log. Times that retries and
 * claims are judged by are the {@link StoreClock}'s, so tests step them.
 */
final class NotificationStore {
    /** A destination as the deliverer needs it. */
    record Destination(String destinationId, String url, byte[] sealedSecret) {}

    /** A delivery claimed for sending: what to POST where, and how often it was tried already. */
    record Due(
            String deliveryId,
            String destinationId,
            String event,
            String payload,
            int attempts,
            java.time.Instant createdAt) {}

    private final StoreClock clock;

    NotificationStore(StoreClock clock) {
        this.clock = clock;
    }

    NotificationView insert(
            Handle h,
            String destinationId,
            String workspaceId,
            String url,
            List<String> events,
            byte[] sealedSecret,
            String createdBy) {
        return h.createQuery("""
                        insert into notification_destinations
                            (destination_id, workspace_id, url, events, sealed_secret, created_by)
                        values (:id, :ws, :url, :events, :secret, :by)
                        returning *""")
                .bind("id", destinationId)
                .bind("ws", workspaceId)
                .bind("url", url)
                .bindArray("events", String.class, events)
                .bind("secret", sealedSecret)
                .bind("by", createdBy)
                .map(NotificationStore::view)
                .one();
    }

    List<NotificationView> list(Handle h, String workspaceId) {
        return h.createQuery("""
                        select * from notification_destinations where workspace_id = :ws
                        order by created_at, destination_id""")
                .bind("ws", workspaceId)
                .map(NotificationStore::view)
                .list();
    }

    int count(Handle h, String workspaceId) {
        return h.createQuery("select count(*) from notification_destinations where workspace_id = :ws")
                .bind("ws", workspaceId)
                .mapTo(Integer.class)
                .one();
    }

    /** Deletes the destination and, with it, its deliveries still pending and its log. */
    boolean delete(Handle h, String workspaceId, String destinationId) {
        return h.createUpdate("delete from notification_destinations where workspace_id = :ws and destination_id = :id")
                        .bind("ws", workspaceId)
                        .bind("id", destinationId)
                        .execute()
                == 1;
    }

    Optional<Destination> destination(Handle h, String destinationId) {
        return h.createQuery("select destination_id, url, sealed_secret from notification_destinations"
                        + " where destination_id = :id")
                .bind("id", destinationId)
                .map((rs, ctx) -> new Destination(
                        rs.getString("destination_id"), rs.getString("url"), rs.getBytes("sealed_secret")))
                .findOne();
    }

    /** The destinations of {@code workspaceId} subscribed to {@code event}. */
    List<String> subscribed(Handle h, String workspaceId, String event) {
        return h.createQuery("""
                        select destination_id from notification_destinations
                        where workspace_id = :ws and :event = any (events) order by destination_id""")
                .bind("ws", workspaceId)
                .bind("event", event)
                .mapTo(String.class)
                .list();
    }

    /** One outbox row, due at once; in the caller's transaction (the status change it reports). */
    void enqueue(
            Handle h,
            String deliveryId,
            String destinationId,
            String workspaceId,
            String taskId,
            String event,
            String payload) {
        clock.at(h.createUpdate("""
                        insert into notification_outbox
                            (delivery_id, destination_id, workspace_id, task_id, event, payload, created_at,
                             next_attempt_at)
                        values (:id, :dest, :ws, :task, :event, :payload, <now>, <now>)"""))
                .bind("id", deliveryId)
                .bind("dest", destinationId)
                .bind("ws", workspaceId)
                .bind("task", taskId)
                .bind("event", event)
                .bind("payload", payload)
                .execute();
    }

    /**
     * Claims up to {@code limit} due deliveries for {@code hold}: another replica (or this one's next round) skips them
     * until then, and takes them again after it if this one died while sending (at least once, never lost).
     */
    List<Due> claimDue(Handle h, int limit, Duration hold) {
        return clock.at(h.createQuery("""
                        update notification_outbox set claimed_until = <now> + make_interval(secs => :hold)
                        where delivery_id in (
                            select delivery_id from notification_outbox
                            where status = 'pending' and next_attempt_at <= <now>
                              and (claimed_until is null or claimed_until <= <now>)
                            order by next_attempt_at, delivery_id
                            limit :limit
                            for update skip locked)
                        returning delivery_id, destination_id, event, payload, attempts, created_at"""))
                .bind("hold", (double) hold.toSeconds())
                .bind("limit", limit)
                .map((rs, ctx) -> new Due(
                        rs.getString("delivery_id"),
                        rs.getString("destination_id"),
                        rs.getString("event"),
                        rs.getString("payload"),
                        rs.getInt("attempts"),
                        Rows.instant(rs, "created_at")))
                .list();
    }

    void delivered(Handle h, String deliveryId, int statusCode) {
        clock.at(h.createUpdate("""
                        update notification_outbox set status = 'delivered', attempts = attempts + 1,
                            last_status_code = :code, last_error = null, delivered_at = <now>, claimed_until = null
                        where delivery_id = :id and status = 'pending'"""))
                .bind("id", deliveryId)
                .bind("code", statusCode)
                .execute();
    }

    /** A failed attempt: tried again after {@code retryIn}, or given up ({@code retryIn} null). */
    void attemptFailed(Handle h, String deliveryId, Integer statusCode, String error, Duration retryIn) {
        clock.at(h.createUpdate("""
                        update notification_outbox set attempts = attempts + 1, last_status_code = :code,
                            last_error = :error, claimed_until = null,
                            status = case when :give_up then 'failed' else 'pending' end,
                            next_attempt_at = case when :give_up then next_attempt_at
                                else <now> + make_interval(secs => :retry) end
                        where delivery_id = :id and status = 'pending'"""))
                .bind("id", deliveryId)
                .bind("code", statusCode)
                .bind("error", error)
                .bind("give_up", retryIn == null)
                .bind("retry", retryIn == null ? 0.0 : (double) retryIn.toSeconds())
                .execute();
    }

    List<DeliveryView> deliveries(Handle h, String workspaceId, String taskId, int limit) {
        return h.createQuery("""
                        select * from notification_outbox
                        where workspace_id = :ws and (cast(:task as text) is null or task_id = :task)
                        order by created_at desc, delivery_id limit :limit""")
                .bind("ws", workspaceId)
                .bind("task", taskId)
                .bind("limit", limit)
                .map(NotificationStore::delivery)
                .list();
    }

    long pending(Handle h) {
        return h.createQuery("select count(*) from notification_outbox where status = 'pending'")
                .mapTo(Long.class)
                .one();
    }

    private static NotificationView view(ResultSet rs, StatementContext ctx) throws SQLException {
        Array events = rs.getArray("events");
        return new NotificationView(
                rs.getString("destination_id"),
                rs.getString("workspace_id"),
                rs.getString("url"),
                Arrays.asList((String[]) events.getArray()),
                Rows.instant(rs, "created_at"),
                rs.getString("created_by"));
    }

    private static DeliveryView delivery(ResultSet rs, StatementContext ctx) throws SQLException {
        return new DeliveryView(
                rs.getString("delivery_id"),
                rs.getString("destination_id"),
                rs.getString("task_id"),
                rs.getString("event"),
                rs.getString("status"),
                rs.getInt("attempts"),
                Rows.nullableInt(rs, "last_status_code"),
                rs.getString("last_error"),
                Rows.instant(rs, "created_at"),
                "pending".equals(rs.getString("status")) ? Rows.instant(rs, "next_attempt_at") : null,
                Rows.instant(rs, "delivered_at"));
    }
}
