package io.iacrunner.protocol;

import java.time.Instant;

/** A workspace: who holds its lock (null when free) and its current state version. */
public record WorkspaceView(
        String workspaceId, Lock lock, Integer currentStateVersion, Long currentStateSerial, Instant createdAt) {
    /** A running plan_apply holds it; a lost apply keeps it until a forced unlock ({@code reason} says why). */
    public record Lock(String taskId, String reason, Instant lockedAt) {}
}
