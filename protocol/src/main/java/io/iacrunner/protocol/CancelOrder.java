package io.iacrunner.protocol;

/**
 * Server → agent: stop this task. Without {@code force} the agent sends SIGINT and allows its grace period (Terraform
 * stops cleanly and writes state); with it, the process tree is killed at once. State written so far is still
 * uploaded and the task reported {@code canceled}.
 */
public record CancelOrder(String taskId, boolean force) {}
