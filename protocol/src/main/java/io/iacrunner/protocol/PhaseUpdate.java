package io.iacrunner.protocol;

/** Agent → server: the attempt entered a phase; sent before the phase's Terraform command starts. */
public record PhaseUpdate(int attempt, TaskPhase phase) implements AttemptUpload {}
