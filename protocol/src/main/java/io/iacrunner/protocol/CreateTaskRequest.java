package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Queue a task. Unlike the seed, {@code tf_json} and {@code variables} are JSON objects, not JSON encoded inside
 * strings: one encoding, validated once, no double escaping. {@code labels}: the task only goes to an agent of a
 * pool that has every one of them. {@code sensitiveVariables}: names of {@code variables} whose values must never
 * appear in a log (masked by the agent before anything is written, and again by the server). {@code configArchive}:
 * instead of {@code tf_json}, a directory of {@code .tf} / {@code .tf.json} files (modules in subfolders) as a
 * base64-encoded tar.gz, checked by the server before it is stored (no links, no paths leaving the directory, limits).
 * {@code runOptions}: how {@code terraform plan} runs (destroy, refresh only, targets, replacements; null: normally).
 */
public record CreateTaskRequest(
        String workspaceId,
        TaskAction action,
        ObjectNode tfJson,
        ObjectNode variables,
        String terraformVersion,
        Map<String, String> labels,
        List<String> sensitiveVariables,
        String configArchive,
        RunOptions runOptions) {

    /** A normal run. */
    public CreateTaskRequest(
            String workspaceId,
            TaskAction action,
            ObjectNode tfJson,
            ObjectNode variables,
            String terraformVersion,
            Map<String, String> labels,
            List<String> sensitiveVariables,
            String configArchive) {
        this(workspaceId, action, tfJson, variables, terraformVersion, labels, sensitiveVariables, configArchive, null);
    }
}
