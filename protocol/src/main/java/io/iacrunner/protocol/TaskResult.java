package io.iacrunner.protocol;

/**
 * Agent → server: how the attempt ended. {@code logLines} is the total the agent produced; the server marks the log
 * complete only when it has committed exactly that many.
 */
public record TaskResult(int attempt, TaskStatus status, Integer exitCode, String message, long logLines) {}
