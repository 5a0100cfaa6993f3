package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A claimed task as the agent receives it: the seed's task JSON plus {@code attempt}, the fence every later
 * upload for this task carries. {@code stateJson} is the workspace's current state, or null for a new workspace.
 */
public record TaskAssignment(
        String taskId,
        int attempt,
        String workspaceId,
        TaskAction action,
        String terraformVersion,
        ObjectNode tfJson,
        ObjectNode variables,
        ObjectNode stateJson) {}
