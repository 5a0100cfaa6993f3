package io.iacrunner.protocol;

/** User → server: release a workspace lock. Only {@code force: true} is accepted: unlocking is a deliberate act. */
public record UnlockRequest(boolean force) {}
