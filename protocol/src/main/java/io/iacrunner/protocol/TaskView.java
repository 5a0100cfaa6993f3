package io.iacrunner.protocol;

import java.time.Instant;

/** A task as clients see it. {@code phase} is a sub-phase of running that tooling may ignore. */
public record TaskView(
        String taskId,
        String workspaceId,
        TaskAction action,
        TaskStatus status,
        TaskPhase phase,
        int attempt,
        Integer exitCode,
        String message,
        String terraformVersion,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        String agentId,
        long logLines,
        boolean logComplete) {}
