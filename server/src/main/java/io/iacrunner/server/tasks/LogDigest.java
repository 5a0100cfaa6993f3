package io.iacrunner.server.tasks;

/**
 * The count and SHA-256 (of each line + "\n", UTF-8) of what the store holds of an attempt's log, which a result's
 * proof must match. Declared by tasks, which checks it, rather than by logs, which computes it: logs depends on tasks,
 * so tasks must not depend on logs.
 */
public record LogDigest(long lines, String sha256) {}
