package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Queue a task. Unlike the seed, {@code tf_json} and {@code variables} are JSON objects, not JSON encoded inside
 * strings: one encoding, validated once, no double escaping.
 */
public record CreateTaskRequest(
        String workspaceId, TaskAction action, ObjectNode tfJson, ObjectNode variables, String terraformVersion) {}
