package io.iacrunner.protocol;

import java.time.Instant;

/**
 * The JSON body of a webhook delivery. {@code delivery_id} is the same on every retry of one delivery (also in the
 * {@code X-Iac-Delivery} header): a receiver that saw it already drops the repeat, since delivery is at least once.
 * {@code event} is the status the task reached.
 */
public record NotificationEvent(
        String deliveryId,
        String event,
        Instant occurredAt,
        String workspaceId,
        String taskId,
        TaskAction action,
        TaskStatus status,
        String message,
        Integer exitCode,
        PlanSummary planSummary,
        boolean needsConfirmation,
        RunOptions runOptions) {
    /** Request headers of every delivery. */
    public static final String DELIVERY_HEADER = "X-Iac-Delivery";

    public static final String EVENT_HEADER = "X-Iac-Event";
    /** Seconds since the epoch when the request was signed; part of what is signed, so an old request cannot be replayed as new. */
    public static final String TIMESTAMP_HEADER = "X-Iac-Timestamp";
    /** {@code sha256=HEX} of HMAC-SHA256(secret, timestamp + "." + body). */
    public static final String SIGNATURE_HEADER = "X-Iac-Signature-256";
}
