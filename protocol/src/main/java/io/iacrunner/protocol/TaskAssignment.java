package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A claimed task as the agent receives it: the seed's task JSON plus {@code attempt}, the fence every later
 * upload for this task carries. {@code stateJson} is the workspace's current state, or null for a new workspace.
 * {@code sensitiveVariables} names variables whose values the agent masks in the log; {@code maxLogBytes} is where
 * the log is cut with a notice (the task goes on). {@code configArchive} (base64 tar.gz, checked by the server and
 * again by the agent) replaces {@code tfJson} when the task was created from a configuration directory.
 * {@code jobToken} is the credential for this attempt's uploads and nothing else; the agent asks for a new one with
 * its agent token before {@code jobTokenExpiresAt}. {@code maxRunSeconds} is how long the run may take (its
 * workspace's setting, else its pool's; 0: no limit): past it the agent stops it as a cancel does and reports it
 * errored. {@code runOptions}: how {@code terraform plan} runs (null: normally). {@code confirmFirst}: a plan_apply
 * whose plan waits for a person: when it has changes, the agent uploads the plan and reports {@code planned} instead of
 * applying. {@code applyStoredPlan}: instead of planning, the agent downloads the stored plan (reviewed, confirmed),
 * checks its digest and applies exactly that.
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
        String configArchive,
        String jobToken,
        java.time.Instant jobTokenExpiresAt,
        long maxRunSeconds,
        RunOptions runOptions,
        boolean confirmFirst,
        boolean applyStoredPlan) {

    /** A normal run that plans and applies without waiting. */
    public TaskAssignment(
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
            String configArchive,
            String jobToken,
            java.time.Instant jobTokenExpiresAt,
            long maxRunSeconds) {
        this(
                taskId,
                attempt,
                workspaceId,
                action,
                terraformVersion,
                tfJson,
                variables,
                stateJson,
                sensitiveVariables,
                maxLogBytes,
                configArchive,
                jobToken,
                jobTokenExpiresAt,
                maxRunSeconds,
                null,
                false,
                false);
    }

    /** Without a run time limit. */
    public TaskAssignment(
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
            String configArchive,
            String jobToken,
            java.time.Instant jobTokenExpiresAt) {
        this(
                taskId,
                attempt,
                workspaceId,
                action,
                terraformVersion,
                tfJson,
                variables,
                stateJson,
                sensitiveVariables,
                maxLogBytes,
                configArchive,
                jobToken,
                jobTokenExpiresAt,
                0);
    }

    public TaskAssignment withJobToken(String token, java.time.Instant expiresAt) {
        return new TaskAssignment(
                taskId,
                attempt,
                workspaceId,
                action,
                terraformVersion,
                tfJson,
                variables,
                stateJson,
                sensitiveVariables,
                maxLogBytes,
                configArchive,
                token,
                expiresAt,
                maxRunSeconds,
                runOptions,
                confirmFirst,
                applyStoredPlan);
    }

    public TaskAssignment withMaxRunSeconds(long seconds) {
        return new TaskAssignment(
                taskId,
                attempt,
                workspaceId,
                action,
                terraformVersion,
                tfJson,
                variables,
                stateJson,
                sensitiveVariables,
                maxLogBytes,
                configArchive,
                jobToken,
                jobTokenExpiresAt,
                seconds,
                runOptions,
                confirmFirst,
                applyStoredPlan);
    }
}
