package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A workspace variable as the API shows it. A sensitive variable's {@code value} is always null: once set, its value
 * leaves the server only inside the task assignment of the agent that claimed a run.
 */
public record VariableView(String name, JsonNode value, boolean sensitive, Instant updatedAt) {}
