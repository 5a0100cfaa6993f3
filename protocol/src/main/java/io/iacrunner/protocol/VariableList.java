package io.iacrunner.protocol;

import java.util.List;

/** A workspace's variables, by name. */
public record VariableList(String workspaceId, List<VariableView> variables) {}
