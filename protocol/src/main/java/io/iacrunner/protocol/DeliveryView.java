package io.iacrunner.protocol;

import java.time.Instant;

/**
 * One event for one destination, as the delivery log shows it. {@code status}: {@code pending} (not yet accepted; retried
 * at {@code next_attempt_at}), {@code delivered} (a 2xx answer) or {@code failed} (given up an hour after the event).
 * {@code last_error} says what the last attempt met ({@code "HTTP 500"}, {@code "timed out"}), never what the
 * receiver's body said.
 */
public record DeliveryView(
        String deliveryId,
        String destinationId,
        String taskId,
        String event,
        String status,
        int attempts,
        Integer lastStatusCode,
        String lastError,
        Instant createdAt,
        Instant nextAttemptAt,
        Instant deliveredAt) {}
