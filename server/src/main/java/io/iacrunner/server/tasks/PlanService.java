package io.iacrunner.server.tasks;

import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.PlanFile;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Signals;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans made to be reviewed, and applied exactly as reviewed. The agent uploads a plan (the plan file, the lock file
 * and the configuration) at the end of its plan phase; a person confirms a planned task (its apply is queued),
 * discards it, or queues the apply of a finished plan task's plan; the attempt that applies downloads exactly that
 * plan, handed out only while the workspace's state is still the one the plan was made from.
 *
 * <p>Confirm and discard are plain methods taking who reviews: any API (this one's routes, a Terraform cloud block
 * endpoint) checks the caller's right to apply and calls them.
 */
public final class PlanService {
    private static final Logger log = LoggerFactory.getLogger(PlanService.class);
    /** What a stale plan's run ends with: the message people and tests look for. */
    public static final String STALE = "stale plan: state changed since the plan";

    private static final int MAX_COMMENT_CHARS = 4_000;

    private final Jdbi jdbi;
    private final TaskStore tasks;
    private final PlanStore plans;
    private final Signals<String> queueSignals;
    private final Signals<String> taskSignals;

    public PlanService(
            Jdbi jdbi, TaskStore tasks, PlanStore plans, Signals<String> queueSignals, Signals<String> taskSignals) {
        this.jdbi = jdbi;
        this.tasks = tasks;
        this.plans = plans;
        this.queueSignals = queueSignals;
        this.taskSignals = taskSignals;
    }

    /** The plan of the agent's running attempt, checked against its digest and stored sealed. */
    public void upload(String taskId, String agentId, PlanFileUpload upload) {
        TaskService.requireTaskId(taskId);
        if (upload.sha256() == null || !upload.sha256().matches("[0-9a-f]{64}")) {
            throw ApiProblem.badRequest("invalid_sha256", "sha256 must be 64 lowercase hex digits");
        }
        byte[] bundle;
        try {
            bundle = Base64.getDecoder().decode(upload.bundle() == null ? "" : upload.bundle());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_plan_bundle", "bundle must be base64: " + e.getMessage());
        }
        if (bundle.length == 0) throw ApiProblem.badRequest("invalid_plan_bundle", "bundle is empty");
        if (!sha256(bundle).equals(upload.sha256())) {
            throw ApiProblem.badRequest("plan_digest_mismatch", "the bundle's SHA-256 is not the one sent with it");
        }
        tasks.useAttempt(taskId, agentId, upload.attempt(), (h, attempt) -> {
            TaskView task = tasks.lockForUpdate(h, taskId).orElseThrow();
            if (task.applyPlanOf() != null || (task.action() == TaskAction.PLAN_APPLY && !task.needsConfirmation())) {
                throw ApiProblem.conflict(
                        "plan_not_kept",
                        "task " + taskId + " keeps no plan: it applies at once, or applies a stored one");
            }
            plans.save(
                    h,
                    attempt,
                    bundle,
                    upload.sha256(),
                    new PlanStore.StateMark(upload.stateSerial(), upload.stateLineage()));
        });
        log.info("task {} attempt {}: plan stored ({} bytes, sealed)", taskId, upload.attempt(), bundle.length);
    }

    /** What a download found: the plan to hand out, or why the run ended errored instead. */
    private record Handout(PlanFile plan, ApiProblem refusal) {}

    /**
     * The stored plan the agent's running attempt applies, while the workspace's state is still the one it was made
     * from. Otherwise the run ends errored now ({@link #STALE}, or no stored plan), nothing applied, and the agent
     * gets 409 {@code stale_plan} or {@code no_stored_plan}.
     */
    public PlanFile download(String taskId, String agentId, int attempt) {
        TaskService.requireTaskId(taskId);
        Handout handout = tasks.inAttempt(taskId, agentId, attempt, (h, running) -> {
            TaskView task = tasks.lockForUpdate(h, taskId).orElseThrow();
            if (task.applyPlanOf() == null) {
                throw ApiProblem.conflict(
                        ErrorCodes.NO_STORED_PLAN, "task " + taskId + " plans for itself: it applies no stored plan");
            }
            PlanStore.Stored plan = plans.find(h, task.applyPlanOf()).orElse(null);
            String reason = null;
            String code = null;
            if (plan == null) {
                code = ErrorCodes.NO_STORED_PLAN;
                reason = "no stored plan of task " + task.applyPlanOf()
                        + ": it was applied, discarded, or deleted once stale or past the plan retention";
            } else {
                PlanStore.StateMark now = plans.currentState(h, task.workspaceId());
                if (!PlanStore.madeFrom(plan, now)) {
                    code = ErrorCodes.STALE_PLAN;
                    reason = STALE + " (the plan of " + task.applyPlanOf() + " was made from serial "
                            + plan.stateSerial() + ", the workspace is at serial " + now.serial()
                            + (java.util.Objects.equals(plan.stateLineage(), now.lineage()) ? "" : ", another lineage")
                            + "); nothing was applied";
                }
            }
            if (reason != null) {
                tasks.move(h, running, TaskStatus.ERRORED, TaskStore.Outcome.of(null, reason));
                return new Handout(null, ApiProblem.conflict(code, reason));
            }
            return new Handout(new PlanFile(plan.sha256(), Base64.getEncoder().encodeToString(plan.bundle())), null);
        });
        if (handout.refusal() != null) {
            log.warn(
                    "task {} attempt {}: {}", taskId, attempt, handout.refusal().getMessage());
            taskSignals.signal(taskId);
            queueSignals.signal(TaskService.QUEUE); // its lock is released: the workspace's next apply may go
            throw handout.refusal();
        }
        return handout.plan();
    }

    /**
     * A person confirms a planned task: its apply is queued, to apply exactly the stored plan (on any agent, later),
     * the workspace lock staying with it. 409 {@code task_not_planned} for any other status.
     */
    public TaskView confirm(String taskId, String reviewer, String comment) {
        TaskView confirmed = review(taskId, reviewer, comment, TaskStatus.QUEUED);
        log.info("task {} confirmed by {}: its apply is queued", taskId, reviewer);
        queueSignals.signal(taskId);
        return confirmed;
    }

    /** A person discards a planned task: it ends discarded, its plan is deleted and the workspace lock released. */
    public TaskView discard(String taskId, String reviewer, String comment) {
        TaskView discarded = review(taskId, reviewer, comment, TaskStatus.DISCARDED);
        log.info("task {} discarded by {}", taskId, reviewer);
        queueSignals.signal(TaskService.QUEUE); // the workspace's next apply may go
        return discarded;
    }

    private TaskView review(String taskId, String reviewer, String comment, TaskStatus to) {
        TaskService.requireTaskId(taskId);
        if (comment != null && comment.length() > MAX_COMMENT_CHARS) {
            throw ApiProblem.badRequest(
                    "invalid_comment", "comment must be at most " + MAX_COMMENT_CHARS + " characters");
        }
        boolean confirm = to == TaskStatus.QUEUED;
        TaskView after = jdbi.inTransaction(h -> {
            TaskView task = tasks.lockForUpdate(h, taskId).orElseThrow(() -> TaskService.notFound(taskId));
            if (task.status() != TaskStatus.PLANNED) throw notPlanned(task, confirm ? "confirmed" : "discarded");
            tasks.recordReview(h, taskId, reviewer, comment == null || comment.isBlank() ? null : comment, confirm);
            String message = (confirm ? "confirmed by " : "discarded by ") + reviewer;
            TaskView moved = tasks.movePlanned(h, taskId, to, TaskStore.Outcome.of(null, message))
                    .orElseThrow();
            if (!confirm) plans.delete(h, taskId);
            return moved;
        });
        taskSignals.signal(taskId);
        return after;
    }

    private static ApiProblem notPlanned(TaskView task, String what) {
        String now = task.status().isTerminal()
                ? "already ended " + task.status().wireName()
                : "is " + task.status().wireName() + (task.applyPlanOf() != null ? " (confirmed already)" : "");
        return ApiProblem.conflict(
                ErrorCodes.TASK_NOT_PLANNED,
                "task " + task.taskId() + " " + now + ": only a planned task (waiting for confirmation) can be "
                        + what);
    }

    /**
     * Queues a run that applies exactly the stored plan of {@code planTaskId}, a plan task that succeeded: the
     * review-then-apply flow. Whether the state moved since is judged when the plan is handed out (the run then ends
     * errored, {@link #STALE}), so runs queued one after another are judged in the order they apply.
     */
    public TaskView applyPlan(String planTaskId, String createdBy) {
        TaskService.requireTaskId(planTaskId);
        TaskView queued = jdbi.inTransaction(h -> {
            TaskView plan = tasks.lockForUpdate(h, planTaskId).orElseThrow(() -> TaskService.notFound(planTaskId));
            if (plan.action() != TaskAction.PLAN || plan.status() != TaskStatus.SUCCEEDED) {
                throw ApiProblem.conflict(
                        "not_a_finished_plan",
                        "task " + planTaskId + " is a " + plan.action().wireName() + " that is "
                                + plan.status().wireName() + ": only the plan of a plan task that succeeded can be"
                                + " applied");
            }
            if (!plans.exists(h, planTaskId)) {
                throw ApiProblem.conflict(
                        ErrorCodes.NO_STORED_PLAN,
                        "task " + planTaskId + " has no stored plan: it had no changes, or its plan was deleted once"
                                + " stale or past the plan retention");
            }
            return tasks.insertApplyOf(h, planTaskId, Ids.task(), createdBy);
        });
        log.info("queued {} to apply the plan of {}", queued.taskId(), planTaskId);
        queueSignals.signal(queued.taskId());
        return queued;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
