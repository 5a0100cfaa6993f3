package io.iacrunner.protocol;

/** Agent → server after a successful plan: its summary, fenced by the attempt like every upload. */
public record PlanReport(int attempt, PlanSummary summary) implements AttemptUpload {}
