package io.iacrunner.protocol;

/** User → server: cancel a task; {@code force} skips the agent's grace period. */
public record CancelRequest(boolean force) {}
