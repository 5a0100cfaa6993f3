package io.iacrunner.protocol;

/** Restore the content of state version {@code to} as a new current version (same lineage, a higher serial). */
public record RollbackRequest(Integer to) {}
