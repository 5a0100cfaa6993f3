package io.iacrunner.protocol;

/** Server → the agent applying a stored plan: the bundle as it was uploaded (base64) and its SHA-256 to verify. */
public record PlanFile(String sha256, String bundle) {}
