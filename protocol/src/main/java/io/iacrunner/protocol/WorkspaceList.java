package io.iacrunner.protocol;

import java.util.List;

/** Workspaces by name. */
public record WorkspaceList(List<WorkspaceSummary> workspaces) {}
