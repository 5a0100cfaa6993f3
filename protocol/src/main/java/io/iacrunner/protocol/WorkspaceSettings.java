package io.iacrunner.protocol;

/**
 * A workspace's settings, all of them: {@code PUT /workspaces/{id}} replaces them (and creates the workspace if new).
 * {@code terraformVersion}: what its tasks run unless they name a version (null: the agent's default).
 */
public record WorkspaceSettings(String terraformVersion) {}
