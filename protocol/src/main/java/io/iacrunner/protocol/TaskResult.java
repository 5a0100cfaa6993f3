package io.iacrunner.protocol;

/**
 * Agent → server: how the attempt ended, with the completion proof of its log: {@code logLines} is the total the
 * agent produced and {@code logSha256} the SHA-256 of those lines, each followed by a newline, in UTF-8. The server
 * marks the log complete only when what it stored has exactly that count and digest.
 */
public record TaskResult(int attempt, TaskStatus status, Integer exitCode, String message, long logLines, String logSha256) {}
