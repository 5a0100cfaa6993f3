package io.iacrunner.protocol;

import java.time.Instant;

public record StateVersionView(
        String workspaceId, int version, long serial, String lineage, String sha256, String taskId, Instant createdAt) {}
