package io.iacrunner.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * A task as clients see it. {@code phase} is a sub-phase of running that tooling may ignore; {@code message} says
 * why a task was requeued, errored or canceled. {@code planSummary}: what the current attempt's plan would do, once
 * it has planned (null before; an applied plan's may come only while it applies, but always before the result).
 * {@code createdBy}: the token that queued it, by description and id. {@code agentUnreachableSince}: set while the
 * agent running this apply has not pinged for its lease; the apply goes on there and is delivered when the agent is
 * back (null otherwise). {@code logIncompleteReason}: why a finished task's log is not complete ({@code logComplete}
 * false), when that is known. {@code needsConfirmation}: its plan waits for a person before it is applied (auto-apply
 * off, or a destroy). {@code runOptions}: how it plans (null: normally). {@code applyPlanOf}: the task whose stored
 * plan it applies (itself once confirmed; a reviewed plan task for {@code task apply}). {@code reviewedBy},
 * {@code reviewedAt}, {@code reviewComment}: who confirmed or discarded its plan, when, and what they said.
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
        String createdBy,
        Instant agentUnreachableSince,
        String logIncompleteReason,
        boolean needsConfirmation,
        RunOptions runOptions,
        String applyPlanOf,
        String reviewedBy,
        Instant reviewedAt,
        String reviewComment) {}
