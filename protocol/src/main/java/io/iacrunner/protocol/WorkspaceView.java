package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A workspace: who holds its lock (null when free), its current state version, that state's outputs by name
 * (empty without state), the Terraform version its tasks run unless they name one (null: the agent's default), and
 * the longest its runs may take (null: the pool's), and whether a plan_apply applies without confirmation. Its
 * organisation and its name there ({@code workspaceId} is its key: the name in {@code default}, else
 * {@code ORG/NAME}); the pool it names (null: any granted one), its quota of plans running at once and its weight
 * in its organisation's share of a pool.
 */
public record WorkspaceView(
        String workspaceId,
        Lock lock,
        Integer currentStateVersion,
        Long currentStateSerial,
        Instant createdAt,
        Map<String, Output> outputs,
        String terraformVersion,
        String maxRunTime,
        boolean autoApply,
        String org,
        String name,
        String pool,
        Integer maxPlansRunning,
        int weight) {
    /** A root module output; a sensitive one's value is never sent ({@code value} is null then). */
    public record Output(JsonNode value, boolean sensitive) {}

    /**
     * A running plan_apply holds it ({@code taskId}), and a planned one while it waits for confirmation; a lost apply
     * keeps it until a forced unlock ({@code reason} says why); or a local Terraform run holds it through the
     * {@code http} backend ({@code terraformLockId}, the ID Terraform's {@code force-unlock} names; {@code taskId} is
     * null then).
     */
    public record Lock(String taskId, String reason, Instant lockedAt, String terraformLockId) {}
}
