package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Set (create or replace) a workspace variable. {@code value} is any JSON value but null (Terraform reads it as the
 * variable's value, so {@code "1"} is a string and {@code 1} a number); {@code sensitive} values are encrypted at rest
 * and never shown again. A task's own variables override the workspace's; a variable sensitive in either is sensitive.
 */
public record SetVariableRequest(JsonNode value, Boolean sensitive) {}
