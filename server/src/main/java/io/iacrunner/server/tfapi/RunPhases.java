package io.iacrunner.server.tfapi;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;

/**
 * A task seen as a Terraform Cloud run with its plan and its apply: their statuses as Terraform's client polls them,
 * and which attempt's log each one streams. A plan_apply that waited for confirmation planned in one attempt and
 * applies in the next one (queued by the confirmation); one that auto-applies plans and applies in one attempt, whose
 * whole log is then its plan's, and the plan ends with the run.
 */
record RunPhases(TaskView task) {
    /** Confirmed: its apply was queued by a person (or Terraform's prompt) after its plan. */
    boolean confirmed() {
        return task.taskId().equals(task.applyPlanOf());
    }

    /** The attempt that applies a confirmed plan has started (each claim sets the start again). */
    boolean applyStarted() {
        return confirmed()
                && task.status() != TaskStatus.QUEUED
                && task.startedAt() != null
                && task.reviewedAt() != null
                && !task.startedAt().isBefore(task.reviewedAt());
    }

    boolean autoApplied() {
        return task.action() == TaskAction.PLAN_APPLY && !task.needsConfirmation() && !confirmed();
    }

    /** The attempt whose log is the plan's: the one before the applying attempt once that started. */
    int planAttempt() {
        return applyStarted() ? task.attempt() - 1 : task.attempt();
    }

    boolean planDone() {
        if (task.status().isTerminal()) return true;
        if (autoApplied()) return false;
        return task.status() == TaskStatus.PLANNED || confirmed();
    }

    boolean applyDone() {
        return task.status().isTerminal();
    }

    /**
     * A run waiting for confirmation has something to apply though its summary may list no resource (a plan that
     * changes only outputs): Terraform's client asks for confirmation only of a run with changes, and would leave
     * this one waiting.
     */
    boolean hasChanges() {
        return task.status() == TaskStatus.PLANNED
                || (task.planSummary() != null && task.planSummary().hasChanges());
    }

    /** The run's status, one of Terraform Cloud's. */
    String runStatus() {
        return switch (task.status()) {
            case QUEUED -> confirmed() ? "apply_queued" : "plan_queued";
            case RUNNING -> task.phase() == TaskPhase.APPLYING || applyStarted() ? "applying" : "planning";
            case PLANNED -> "planned";
            case SUCCEEDED -> task.action() == TaskAction.PLAN || !hasChanges() ? "planned_and_finished" : "applied";
            case FAILED, ERRORED -> "errored";
            case CANCELED -> "canceled";
            case DISCARDED -> "discarded";
        };
    }

    String planStatus() {
        if (!planDone()) return task.status() == TaskStatus.QUEUED ? "queued" : "running";
        if (task.status() == TaskStatus.CANCELED && !applyStarted()) return "canceled";
        if ((task.status() == TaskStatus.FAILED || task.status() == TaskStatus.ERRORED) && !applyStarted()) {
            return autoApplied() && task.phase() == TaskPhase.APPLYING ? "finished" : "errored";
        }
        return "finished";
    }

    String applyStatus() {
        if (task.action() == TaskAction.PLAN || task.status() == TaskStatus.DISCARDED) return "unreachable";
        return switch (task.status()) {
            case SUCCEEDED -> "finished";
            case FAILED, ERRORED -> "errored";
            case CANCELED -> "canceled";
            case RUNNING -> task.phase() == TaskPhase.APPLYING || applyStarted() ? "running" : "pending";
            case QUEUED -> confirmed() ? "queued" : "pending";
            case PLANNED -> "pending";
            case DISCARDED -> "unreachable";
        };
    }

    boolean cancelable() {
        return !task.status().isSettled() && !task.cancelRequested();
    }

    boolean forceCancelable() {
        return task.status() == TaskStatus.RUNNING && task.cancelRequested();
    }

    boolean confirmable() {
        return task.status() == TaskStatus.PLANNED;
    }
}
