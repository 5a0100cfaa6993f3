package io.iacrunner.protocol;

import java.time.Instant;

/**
 * A workspace in the workspace list: its lock, current state version and serial, and its newest task ({@code
 * lastTask}, null before the first). Lighter than {@link WorkspaceView}, which also reads the state's outputs.
 */
public record WorkspaceSummary(
        String workspaceId,
        WorkspaceView.Lock lock,
        Integer currentStateVersion,
        Long currentStateSerial,
        Instant createdAt,
        LastTask lastTask) {
    public record LastTask(
            String taskId, TaskAction action, TaskStatus status, Instant createdAt, Instant finishedAt) {}
}
