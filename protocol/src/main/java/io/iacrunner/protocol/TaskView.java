package io.iacrunner.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * A task as clients see it. {@code phase} is a sub-phase of running that tooling may ignore; {@code message} says
 * why a task was requeued, errored or canceled. {@code planSummary}: what the current attempt's plan would do, once
 * it has planned (null before). {@code createdBy}: the token that queued it, by description and id.
 */
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
        boolean logComplete,
        String logSha256,
        Map<String, String> labels,
        boolean cancelRequested,
        PlanSummary planSummary,
        String createdBy) {}
