package io.iacrunner.protocol;

import java.time.Instant;

/**
 * One stored state of a workspace. {@code taskId}: the apply that wrote it; {@code rollbackOf}: for a version written by
 * {@code state rollback}, the version whose content it restores (then {@code taskId} is null).
 */
public record StateVersionView(
        String workspaceId,
        int version,
        long serial,
        String lineage,
        String sha256,
        String taskId,
        Integer rollbackOf,
        Instant createdAt) {}
