package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A claimed task as the agent receives it: the seed's task JSON plus {@code attempt}, the fence every later
 * upload for this task carries. {@code stateJson} is the workspace's current state, or null for a new workspace.
 * {@code sensitiveVariables} names variables whose values the agent masks in the log; {@code maxLogBytes} is where
 * the log is cut with a notice (the task goes on). {@code configArchive} (base64 tar.gz, checked by the server and
 * again by the agent) replaces {@code tfJson} when the task was created from a configuration directory.
 */
public record TaskAssignment(
        String taskId,
        int attempt,
        String workspaceId,
        TaskAction action,
        String terraformVersion,
        ObjectNode tfJson,
        ObjectNode variables,
        ObjectNode stateJson,
        List<String> sensitiveVariables,
        long maxLogBytes,
        String configArchive) {}
