package io.iacrunner.protocol;

import java.util.List;

/**
 * Agent → server: the capacity the agent has free right now. The server claims at most that many tasks in one
 * transaction; {@code waitSeconds} &gt; 0 makes it a long poll that returns as soon as a matching task is queued.
 * {@code accept} limits the actions the agent takes ({@code --accept}; null: both), enforced by the claim itself.
 */
public record PullRequest(
        String agentId, int freePlanSlots, boolean canTakeApply, int waitSeconds, List<TaskAction> accept) {
    /** The seed's fields: any action. */
    public PullRequest(String agentId, int freePlanSlots, boolean canTakeApply, int waitSeconds) {
        this(agentId, freePlanSlots, canTakeApply, waitSeconds, null);
    }
}
