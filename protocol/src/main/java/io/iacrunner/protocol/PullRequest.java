package io.iacrunner.protocol;

/**
 * Agent → server: the capacity the agent has free right now. The server claims at most that many tasks in one
 * transaction; {@code waitSeconds} &gt; 0 makes it a long poll that returns as soon as a matching task is queued.
 */
public record PullRequest(String agentId, int freePlanSlots, boolean canTakeApply, int waitSeconds) {}
