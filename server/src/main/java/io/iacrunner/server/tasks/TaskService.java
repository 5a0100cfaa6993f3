package io.iacrunner.server.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.JobToken;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.archives.ArchiveRefusedException;
import io.iacrunner.protocol.archives.ConfigArchiveReader;
import io.iacrunner.server.auth.Tokens;
import io.iacrunner.server.configs.ConfigArchive;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Labels;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.util.TerraformVersionFormat;
import io.iacrunner.server.variables.VariableService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Queueing, claiming and finishing tasks. */
public final class TaskService {
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);
    /** As long as agent tokens: an attempt that runs longer asks for a new one with its agent token. */
    static final Duration JOB_TOKEN_TTL = Duration.ofHours(1);
    /**
     * Key of the queue topic for "one more task may be claimable" when the task is not known (a workspace lock was
     * released, say): one waiting pull looks again. A queued task is signalled by its id ({@link PullWakes}).
     */
    public static final String QUEUE = "queue";

    private final Jdbi jdbi;
    private final TaskStore tasks;
    private final PlanStore plans;
    private final WorkspaceStore workspaces;
    private final VariableService variables;
    private final Tokens jobTokens;
    private final Signals<String> queueSignals;
    private final Signals<String> taskSignals;
    private final PullWakes wakes;
    private final Duration maxLongPoll;
    private final Duration lease;
    private final BiFunction<String, Integer, LogDigest> storedLog;
    private final ConfigArchive configArchives = new ConfigArchive();
    private final BooleanSupplier stopping;
    /** Pulls waiting on this replica for work now: the agents idle here, and what a test waits for. */
    private final AtomicInteger waitingPulls = new AtomicInteger();

    /**
     * @param storedLog the count and digest of what the store holds for an attempt: the completion proof's other half
     * @param stopping true once this replica is shutting down: waiting pulls then answer empty at once, so their
     *     agents ask another replica
     */
    public TaskService(
            Jdbi jdbi,
            TaskStore tasks,
            PlanStore plans,
            WorkspaceStore workspaces,
            VariableService variables,
            Tokens jobTokens,
            Signals<String> queueSignals,
            Signals<String> taskSignals,
            Duration maxLongPoll,
            Duration lease,
            BiFunction<String, Integer, LogDigest> storedLog,
            MeterRegistry metrics,
            BooleanSupplier stopping) {
        this.jdbi = jdbi;
        this.tasks = tasks;
        this.plans = plans;
        this.workspaces = workspaces;
        this.variables = variables;
        this.jobTokens = jobTokens;
        this.queueSignals = queueSignals;
        this.taskSignals = taskSignals;
        this.wakes = new PullWakes(queueSignals, new PullWakes.Queue() {
            @Override
            public boolean isQueued(String taskId) {
                return tasks.isQueued(taskId);
            }

            @Override
            public boolean anyQueued() {
                return tasks.anyQueued();
            }
        });
        this.maxLongPoll = maxLongPoll;
        this.lease = lease;
        this.storedLog = storedLog;
        this.stopping = stopping;
        Gauge.builder("iac.pulls.waiting", waitingPulls, AtomicInteger::get)
                .description("Agents' long polls waiting on this replica for work")
                .register(metrics);
    }

    /**
     * Queues a task with its inputs fixed now: the workspace's variables as they are at this moment, the task's own
     * overriding them, and the workspace's Terraform version unless the task names one. A run is then the same on
     * every attempt, and the log redactor knows exactly which values to mask.
     */
    /** @param createdBy who queues it, as runs lists show it */
    public TaskView create(CreateTaskRequest request, String createdBy) {
        return create(request, createdBy, null);
    }

    /**
     * As {@link #create(CreateTaskRequest, String)}, a plan_apply's confirmation decided by its client where it asks
     * for it: Terraform's {@code apply -auto-approve} applies without a person, and its plain {@code apply} waits for
     * the answer at its prompt, whatever the workspace's own setting.
     *
     * @param autoApply whether a plan_apply applies without confirmation; null: as the workspace says
     */
    public TaskView create(CreateTaskRequest request, String createdBy, Boolean autoApply) {
        validate(request);
        byte[] archive = request.configArchive() == null ? null : decodedArchive(request.configArchive());
        String archiveSha = archive == null ? null : checked(archive).sha256();
        List<String> ownSensitive = sensitiveNames(request);
        TaskView created = jdbi.inTransaction(h -> {
            workspaces.ensure(h, request.workspaceId());
            VariableService.Inputs inherited = variables.inputs(h, request.workspaceId());
            ObjectNode values = inherited.values();
            if (request.variables() != null) values.setAll(request.variables());
            // Sensitive in either place stays sensitive: a task cannot unmask a workspace secret by overriding it.
            List<String> sensitive = Stream.concat(inherited.sensitiveNames().stream(), ownSensitive.stream())
                    .distinct()
                    .toList();
            String version = request.terraformVersion() != null
                    ? request.terraformVersion()
                    : workspaces.terraformVersion(h, request.workspaceId()).orElse(null);
            RunOptions options = RunModes.validated(request.runOptions());
            String labels = Rows.json(Labels.validated(request.labels()));
            tasks.admit(h, request.workspaceId(), labels);
            // Fixed now, like the inputs: a destroy always waits for a person, whatever the workspace says.
            boolean confirm = request.action() == TaskAction.PLAN_APPLY
                    && (options.destroy()
                            || !(autoApply != null ? autoApply : workspaces.autoApply(h, request.workspaceId())));
            return tasks.insert(
                    h,
                    new TaskStore.NewTask(
                            Ids.task(),
                            request.workspaceId(),
                            request.action(),
                            request.tfJson() == null ? null : Rows.json(request.tfJson()),
                            archive,
                            archiveSha,
                            values,
                            sensitive,
                            version,
                            labels,
                            createdBy,
                            confirm,
                            options.isNormal() ? null : Rows.json(options),
                            null,
                            null));
        });
        log.info("queued {} {} on workspace {}", created.action().wireName(), created.taskId(), created.workspaceId());
        queueSignals.signal(created.taskId());
        return created;
    }

    public TaskView get(String taskId) {
        requireTaskId(taskId);
        return tasks.find(taskId).orElseThrow(() -> ApiProblem.notFound("task_not_found", "no task " + taskId));
    }

    /** @param visible the workspaces of {@code org} the caller may read; null for all */
    public TaskList list(String org, String workspaceId, int limit, Set<String> visible) {
        if (workspaceId != null) Ids.requireWorkspaceId(workspaceId);
        if (limit < 1 || limit > 1000) throw ApiProblem.badRequest("invalid_limit", "limit must be 1..1000");
        return new TaskList(tasks.list(org, workspaceId, visible, limit));
    }

    /** Each claimed attempt carries the only credential that may upload for it. */
    private TaskAssignment withJobToken(String agentId, TaskAssignment task) {
        Tokens.Issued issued = jobTokens.issueJob(agentId, task.taskId(), task.attempt(), JOB_TOKEN_TTL);
        return task.withJobToken(issued.token(), issued.expiresAt());
    }

    public static ApiProblem notFound(String taskId) {
        return ApiProblem.notFound("task_not_found", "no task " + taskId);
    }

    /** A job token for an attempt the agent runs now; 409 {@code stale_attempt} for any other. */
    public JobToken jobToken(String taskId, String agentId, int attempt) {
        requireTaskId(taskId);
        if (!tasks.isRunningAttempt(taskId, agentId, attempt)) throw ApiProblem.staleAttempt(taskId, attempt);
        Tokens.Issued issued = jobTokens.issueJob(agentId, taskId, attempt, JOB_TOKEN_TTL);
        return new JobToken(issued.token(), issued.expiresAt());
    }

    /**
     * A long poll: claim what fits now; if nothing does and no new cancel order waits for this agent, wait to be
     * woken ({@link PullWakes}: for a task, or for a cancel order of this agent) and try again until the wait the
     * agent asked for (capped by the server's maximum) has passed.
     */
    public PullResponse pull(String agentId, PullRequest request) throws InterruptedException {
        if (request.freePlanSlots() < 0 || request.freePlanSlots() > 1000) {
            throw ApiProblem.badRequest("invalid_free_plan_slots", "free_plan_slots must be 0..1000");
        }
        if (request.waitSeconds() < 0) throw ApiProblem.badRequest("invalid_wait_seconds", "wait_seconds must be >= 0");
        Set<TaskAction> accept = accepted(request.accept());
        Duration wait = Duration.ofSeconds(request.waitSeconds());
        if (wait.compareTo(maxLongPoll) > 0) wait = maxLongPoll;
        Instant deadline = Instant.now().plus(wait);
        try (PullWakes.Waiter waiter = wakes.waiter(agentId)) {
            while (!stopping.getAsBoolean()) {
                waiter.look();
                // What fits, and the agent's new cancel orders: one transaction of few round trips (TaskStore.pull).
                TaskStore.Pull taken = jdbi.inTransaction(
                        h -> tasks.pull(h, agentId, request.freePlanSlots(), request.canTakeApply(), accept, lease));
                List<TaskStore.Claimed> claimed = taken.claimed();
                List<CancelOrder> cancels = taken.cancels();
                waiter.settle(claimed.stream().map(c -> c.assignment().taskId()).toList());
                if (!claimed.isEmpty() || !cancels.isEmpty()) {
                    List<TaskAssignment> assigned = claimed.stream()
                            .map(c -> withJobToken(agentId, c.assignment()))
                            .toList();
                    for (TaskStore.Claimed c : claimed) {
                        TaskAssignment t = c.assignment();
                        log.info("agent {} claimed {} attempt {}", agentId, t.taskId(), t.attempt());
                        taskSignals.signal(t.taskId());
                    }
                    return new PullResponse(assigned, cancels);
                }
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative() || left.isZero()) return new PullResponse(List.of(), List.of());
                waitingPulls.incrementAndGet();
                try {
                    waiter.await(left);
                } finally {
                    waitingPulls.decrementAndGet();
                }
            }
        }
        return new PullResponse(List.of(), List.of());
    }

    /** The actions a pull may claim: both when it names none; an empty or null-holding list is a client error. */
    private static Set<TaskAction> accepted(List<TaskAction> accept) {
        if (accept == null) return java.util.EnumSet.allOf(TaskAction.class);
        if (accept.isEmpty() || accept.contains(null)) {
            throw ApiProblem.badRequest(
                    "invalid_accept", "accept must list plan, plan_apply or both (or be left out for both)");
        }
        return java.util.EnumSet.copyOf(accept);
    }

    /**
     * A queued task is canceled at once; a running one is marked, and its agent is told through its next ping reply
     * or pull response. It stays the agent's attempt until the agent reports, so the interrupted apply's state can
     * still be uploaded.
     */
    public TaskView cancel(String taskId, boolean force) {
        requireTaskId(taskId);
        TaskView result = jdbi.inTransaction(h -> {
            TaskView task = tasks.lockForUpdate(h, taskId).orElseThrow(() -> notFound(taskId));
            return switch (task.status()) {
                case QUEUED ->
                    tasks.moveQueued(
                                    h,
                                    taskId,
                                    TaskStatus.CANCELED,
                                    TaskStore.Outcome.of(null, "canceled before it started"))
                            .orElseThrow();
                case RUNNING -> {
                    tasks.requestCancel(h, taskId, force);
                    yield tasks.lockForUpdate(h, taskId).orElseThrow();
                }
                case PLANNED ->
                    throw ApiProblem.conflict(
                            "task_planned",
                            "task " + taskId + " is planned and waits for confirmation: discard it instead");
                default ->
                    throw ApiProblem.conflict(
                            "task_finished",
                            "task " + taskId + " already ended " + task.status().wireName());
            };
        });
        log.info(
                "cancel{} of {} requested: now {}",
                force ? " (force)" : "",
                taskId,
                result.status().wireName());
        taskSignals.signal(taskId);
        // A running task's agent gets the order in its waiting pull's answer at once; a queued plan_apply gone lets
        // the next of its workspace go.
        if (result.status() == TaskStatus.RUNNING) queueSignals.signal(PullWakes.cancelKey(result.agentId()));
        else if (result.action() == TaskAction.PLAN_APPLY) queueSignals.signal(QUEUE);
        return result;
    }

    private static final int MAX_REASON_CHARS = 1_000;

    /**
     * The agent gives back an attempt it will not finish. One it has not begun (it had no room for it): the task is
     * queued again for any agent, and the attempt does not count against the retry limit
     * ({@link TaskStore#forgetHandedBackAttempt}). One it began but that cannot have applied (the agent restarted
     * mid-plan, and its Terraform died with it): the rules for a task its agent no longer runs
     * ({@link LeaseMonitor#notApplied}: queued again while attempts remain). An attempt that may have applied must
     * report its result instead: {@code 409 attempt_applying}. A plan_apply's workspace lock is released either way.
     */
    public TaskView handBack(String taskId, String agentId, HandBack request) {
        requireTaskId(taskId);
        if (request.reason() == null
                || request.reason().isBlank()
                || request.reason().length() > MAX_REASON_CHARS) {
            throw ApiProblem.badRequest(
                    "invalid_reason", "reason is required, 1 to " + MAX_REASON_CHARS + " characters");
        }
        String reason = request.reason().strip();
        TaskView after = tasks.inAttempt(taskId, agentId, request.attempt(), (h, attempt) -> {
            if (!tasks.hasBegun(h, attempt)) {
                tasks.move(
                        h,
                        attempt,
                        TaskStatus.QUEUED,
                        TaskStore.Outcome.of(null, "handed back unrun by agent " + agentId + ": " + reason));
                tasks.forgetHandedBackAttempt(h, taskId);
            } else {
                TaskView running = tasks.lockForUpdate(h, taskId).orElseThrow();
                if (running.phase() == TaskPhase.APPLYING) {
                    throw ApiProblem.conflict(
                            "attempt_applying",
                            "attempt " + request.attempt() + " of task " + taskId
                                    + " may have applied: report its result instead");
                }
                LeaseMonitor.Decision d = LeaseMonitor.notApplied(
                        new TaskStore.Running(
                                taskId,
                                running.workspaceId(),
                                running.action(),
                                running.phase(),
                                running.attempt(),
                                agentId,
                                running.cancelRequested(),
                                false,
                                false),
                        "agent " + agentId + " gave it back (" + reason + ")");
                tasks.move(h, attempt, d.status(), d.outcome());
            }
            return tasks.lockForUpdate(h, taskId).orElseThrow();
        });
        log.info(
                "task {} attempt {} handed back by agent {} ({}): now {}",
                taskId,
                request.attempt(),
                agentId,
                reason,
                after.status().wireName());
        taskSignals.signal(taskId);
        // Queued again: a pull may take it. Ended: a plan_apply's workspace lock went with it.
        queueSignals.signal(after.status() == TaskStatus.QUEUED ? taskId : QUEUE);
        return after;
    }

    public void phase(String taskId, String agentId, PhaseUpdate update) {
        requireTaskId(taskId);
        if (update.phase() == null) throw ApiProblem.badRequest("missing_phase", "phase is required");
        tasks.useAttempt(taskId, agentId, update.attempt(), (h, attempt) -> {
            if (update.phase() == TaskPhase.APPLYING)
                PlanStore.requireMayApply(tasks.lockForUpdate(h, taskId).orElseThrow());
            tasks.setPhase(h, attempt, update.phase());
        });
        taskSignals.signal(taskId);
    }

    /**
     * A person unlocked the workspace by force while its apply's agent was unreachable: that apply ends errored (its
     * agent's late deliveries are then refused as stale), releasing its lock. False when the task is not such an apply.
     */
    public boolean giveUpLostApply(Handle h, String taskId, String reason) {
        TaskStore.Running task = tasks.lockUnreachable(h, taskId).orElse(null);
        if (task == null) return false;
        boolean moved = tasks.move(h, task, TaskStatus.ERRORED, TaskStore.Outcome.of(null, reason))
                .isPresent();
        if (moved) {
            log.warn("task {} attempt {}: {}", taskId, task.attempt(), reason);
            h.afterCommit(() -> taskSignals.signal(taskId));
        }
        return moved;
    }

    /** Addresses are Terraform's, bounded so a hostile report cannot bloat the row. */
    private static final int MAX_PLAN_ADDRESSES = 100_000;

    private static final int MAX_ADDRESS_CHARS = 1_024;

    public void recordPlan(String taskId, String agentId, PlanReport report) {
        requireTaskId(taskId);
        PlanSummary summary = report.summary();
        if (summary == null || summary.add() == null || summary.change() == null || summary.destroy() == null) {
            throw ApiProblem.badRequest(
                    "invalid_plan_summary", "summary needs add, change and destroy (lists of addresses)");
        }
        int count = summary.add().size()
                + summary.change().size()
                + summary.destroy().size();
        boolean badAddress = Stream.of(summary.add(), summary.change(), summary.destroy())
                .flatMap(List::stream)
                .anyMatch(a -> a == null || a.isBlank() || a.length() > MAX_ADDRESS_CHARS);
        if (count > MAX_PLAN_ADDRESSES || badAddress) {
            throw ApiProblem.badRequest(
                    "invalid_plan_summary",
                    "at most " + MAX_PLAN_ADDRESSES + " addresses of 1 to " + MAX_ADDRESS_CHARS + " characters");
        }
        tasks.useAttempt(taskId, agentId, report.attempt(), (h, attempt) -> tasks.setPlanSummary(h, attempt, summary));
        taskSignals.signal(taskId);
    }

    /**
     * Ends the attempt with the agent's result. The result is the agent's last word, so it is taken only once the
     * store holds every line the agent says it kept: with fewer (a store that lost its last chunks, say) it is refused
     * with {@code 409 log_gap} naming where to resend from, and changes nothing. The log is complete when the store's
     * count and digest equal the agent's proof and the agent lost no line.
     *
     * <p>The workspace lock of an apply is released unless the apply may have changed resources that no stored state
     * records: it errored while applying, or Terraform was killed while applying and left no state version.
     */
    public TaskView finish(String taskId, String agentId, TaskResult result) {
        requireTaskId(taskId);
        if (result.status() == null || !result.status().isSettled() || result.status() == TaskStatus.DISCARDED) {
            throw ApiProblem.badRequest(
                    "invalid_status", "status must be planned, succeeded, failed, canceled or errored");
        }
        if (result.logLines() < 0) throw ApiProblem.badRequest("invalid_log_lines", "log_lines must be >= 0");
        if (result.logLinesLost() < 0)
            throw ApiProblem.badRequest("invalid_log_lines_lost", "log_lines_lost must be >= 0");
        if (result.logSha256() != null && !result.logSha256().matches("[0-9a-f]{64}")) {
            throw ApiProblem.badRequest("invalid_log_sha256", "log_sha256 must be 64 lowercase hex digits");
        }
        TaskView done;
        try {
            done = tasks.inAttempt(taskId, agentId, result.attempt(), (h, attempt) -> {
                LogDigest stored = storedLog.apply(taskId, result.attempt());
                if (stored.lines() < result.logLines()) {
                    throw ApiProblem.conflict(
                            ErrorCodes.LOG_GAP,
                            "the agent kept " + result.logLines() + " lines but the server has " + stored.lines()
                                    + "; resend from seq " + stored.lines() + ", then report again");
                }
                String incomplete = incompleteReason(taskId, result, stored);
                TaskView running = tasks.lockForUpdate(h, taskId).orElseThrow();
                if (result.status() == TaskStatus.PLANNED) plans.requireReviewable(h, running);
                String unrecorded = unrecordedChanges(running, result, () -> tasks.storedState(h, taskId));
                TaskView moved = tasks.move(
                        h,
                        attempt,
                        result.status(),
                        new TaskStore.Outcome(
                                result.exitCode(),
                                result.message(),
                                incomplete == null,
                                stored.sha256(),
                                incomplete,
                                unrecorded));
                // A plan_apply's own plan is of no more use once it ended (applied, or not to be).
                if (moved.status().isTerminal() && moved.action() == TaskAction.PLAN_APPLY) plans.delete(h, taskId);
                return moved;
            });
        } catch (ApiProblem refused) {
            // The same result again (the reply to the first delivery was lost): it changed everything already. Only a
            // task that ended exactly so is a repeat, so a refusal of anything else (a stale attempt, a log gap)
            // stands.
            return tasks.find(taskId).filter(t -> isRepeat(t, agentId, result)).orElseThrow(() -> refused);
        }
        log.info("task {} {} (exit {})", taskId, done.status().wireName(), done.exitCode());
        taskSignals.signal(taskId);
        if (done.action() == TaskAction.PLAN_APPLY) queueSignals.signal(QUEUE); // its workspace's next apply may go
        return done;
    }

    /** Why the attempt's log is not complete, or null when it is. */
    private static String incompleteReason(String taskId, TaskResult result, LogDigest stored) {
        String reason = null;
        if (result.logLinesLost() > 0) {
            reason = "the agent could not keep " + result.logLinesLost() + " lines"
                    + (result.logLostReason() == null ? "" : ": " + result.logLostReason());
        } else if (stored.lines() != result.logLines()
                || (result.logSha256() != null && !result.logSha256().equals(stored.sha256()))) {
            reason = "the stored log (" + stored.lines() + " lines, sha256 " + stored.sha256()
                    + ") differs from the agent's (" + result.logLines() + " lines, sha256 " + result.logSha256() + ")";
        }
        if (reason != null) log.error("task {} attempt {}: LOG INCOMPLETE: {}", taskId, result.attempt(), reason);
        return reason;
    }

    /**
     * Why an apply's workspace must stay locked after this result, or null to release it: the apply errored while
     * applying, or Terraform was killed while applying and no state version records what it did.
     */
    private static String unrecordedChanges(TaskView running, TaskResult result, BooleanSupplier storedState) {
        if (running.phase() != TaskPhase.APPLYING) return null;
        if (result.status() == TaskStatus.ERRORED) {
            return "task " + running.taskId() + " errored while applying (" + result.message()
                    + "); resources may exist that no state records: inspect, then unlock with --force";
        }
        if (result.terraformKilled() && !storedState.getAsBoolean()) {
            return "task " + running.taskId() + ": terraform was killed while applying and stored no state ("
                    + result.message()
                    + "); resources may exist that no state records: inspect, then unlock with --force";
        }
        return null;
    }

    /** The same result from the same attempt, already applied: a retry after a lost reply. */
    private static boolean isRepeat(TaskView task, String agentId, TaskResult result) {
        return task.status().isSettled()
                && task.status() == result.status()
                && task.attempt() == result.attempt()
                && agentId.equals(task.agentId())
                && Objects.equals(task.exitCode(), result.exitCode())
                && Objects.equals(task.message(), result.message());
    }

    private static void validate(CreateTaskRequest r) {
        if (r.workspaceId() == null) throw ApiProblem.badRequest("missing_workspace_id", "workspace_id is required");
        Ids.requireWorkspaceId(r.workspaceId());
        if (r.action() == null) throw ApiProblem.badRequest("missing_action", "action is required: plan or plan_apply");
        if (r.tfJson() == null && r.configArchive() == null) {
            throw ApiProblem.badRequest(
                    "missing_tf_json", "tf_json (a Terraform JSON configuration object) or config_archive is required");
        }
        if (r.tfJson() != null && r.configArchive() != null) {
            throw ApiProblem.badRequest("two_configurations", "send tf_json or config_archive, not both");
        }
        if (r.tfJson() != null && r.tfJson().isEmpty())
            throw ApiProblem.badRequest("empty_tf_json", "tf_json is an empty object");
        Labels.validated(r.labels());
        TerraformVersionFormat.require(r.terraformVersion());
    }

    private static byte[] decodedArchive(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(
                    "invalid_config_archive", "config_archive must be a base64-encoded tar.gz: " + e.getMessage());
        }
    }

    /**
     * Refuses a configuration archive a task would refuse (Terraform's {@code cloud} block uploads one before it asks
     * for a run): the archive's rules and the names the agent writes itself.
     */
    public void checkConfigArchive(byte[] archive) {
        checked(archive);
    }

    /** The archive as {@link ConfigArchive} judges it; a refusal is the client's error, with the archive's own code. */
    private ConfigArchiveReader.Summary checked(byte[] archive) {
        ConfigArchiveReader.Summary summary;
        try {
            summary = configArchives.validate(archive);
        } catch (ArchiveRefusedException e) {
            throw new ApiProblem(e.status(), e.code(), e.getMessage());
        }
        for (ConfigArchiveReader.ConfigFile file : summary.files()) {
            if (AGENT_FILES.contains(file.path())
                    || file.path().equals(".terraform")
                    || file.path().startsWith(".terraform/")) {
                throw ApiProblem.badRequest(
                        "archive_reserved_name",
                        "entry '" + file.path() + "' is a file the agent writes"
                                + " itself (variables, state, plan, Terraform's own directory); leave it out of the archive");
            }
        }
        return summary;
    }

    /** What the agent writes into the task directory beside the configuration. */
    private static final Set<String> AGENT_FILES = Set.of(
            "zz_iac_runner_backend_override.tf.json",
            "terraform.tfvars.json",
            "terraform.tfstate",
            "errored.tfstate",
            ".terraformrc",
            "plan.out",
            "plan.json",
            "plan.json.stderr");

    /** Every sensitive name must be one of the task's variables: a typo must not silently leave a secret unmasked. */
    private static List<String> sensitiveNames(CreateTaskRequest r) {
        List<String> names = r.sensitiveVariables() == null ? List.of() : r.sensitiveVariables();
        for (String name : names) {
            if (name == null || r.variables() == null || !r.variables().has(name)) {
                throw ApiProblem.badRequest(
                        "unknown_sensitive_variable",
                        "sensitive_variables names '" + name + "', which is not among variables");
            }
        }
        return names;
    }

    static void requireTaskId(String taskId) {
        if (!Ids.isTask(taskId))
            throw ApiProblem.badRequest("invalid_task_id", "task ids look like t- followed by 16 letters or digits");
    }
}
