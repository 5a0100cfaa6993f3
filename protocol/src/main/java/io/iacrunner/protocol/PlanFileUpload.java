package io.iacrunner.protocol;

/**
 * Agent → server at the end of a plan phase: the plan bundle ({@code bundle}, base64 of a tar holding the plan file,
 * the {@code .terraform.lock.hcl} and the configuration the plan was made from), its SHA-256 (of the tar's bytes),
 * and the state the plan was made from ({@code stateSerial}, {@code stateLineage}: the assignment's; null for none).
 */
public record PlanFileUpload(int attempt, String sha256, Long stateSerial, String stateLineage, String bundle)
        implements AttemptUpload {}
