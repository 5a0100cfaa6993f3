package io.iacrunner.protocol;

import java.time.Instant;
import java.util.List;

/** A workspace's webhook destination as the API shows it: its signing secret never leaves the server again. */
public record NotificationView(
        String destinationId,
        String workspaceId,
        String url,
        List<String> events,
        Instant createdAt,
        String createdBy) {}
