package io.iacrunner.protocol;

import java.time.Instant;

/**
 * One stored state of a workspace. {@code taskId}: the apply that wrote it; {@code rollbackOf}: for a version written by
 * {@code state rollback}, the version whose content it restores (then {@code taskId} is null); {@code pushedBy}: for a
 * version Terraform's CLI sent through the {@code http} backend ({@code terraform apply} at a desk, {@code state push},
 * {@code ./iac state push}), the token that sent it (then {@code taskId} is null).
 */
public record StateVersionView(
        String workspaceId,
        int version,
        long serial,
        String lineage,
        String sha256,
        String taskId,
        Integer rollbackOf,
        Instant createdAt,
        String pushedBy) {}
