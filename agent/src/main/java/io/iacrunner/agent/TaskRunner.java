package io.iacrunner.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.logs.LogShipper;
import io.iacrunner.agent.logs.LogSpool;
import io.iacrunner.agent.logs.LogUplink;
import io.iacrunner.agent.logs.SecretMasker;
import io.iacrunner.agent.terraform.Hooks;
import io.iacrunner.agent.terraform.PlanBundle;
import io.iacrunner.agent.terraform.PlanSummaries;
import io.iacrunner.agent.terraform.TaskDirectory;
import io.iacrunner.agent.terraform.Terraform;
import io.iacrunner.agent.terraform.TerraformChooser;
import io.iacrunner.agent.terraform.TerraformCommand;
import io.iacrunner.agent.terraform.TerraformVersionException;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.NoSpace;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PlanFile;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task attempt from start to reported result: task directory, {@code init}, {@code plan}, and for a
 * {@code plan_apply} the {@code apply} of exactly that plan file; then the state upload, the log flush and the result.
 * The first failing command ends the attempt. A {@code stale_attempt} from the server at any point stops Terraform
 * and drops the attempt without a result: the task is someone else's now.
 *
 * <p>The server being out of reach changes nothing here: Terraform runs on, lines go to the spool, and every report
 * waits until a server answers (an apply never starts before the server has taken the phase report). What the attempt
 * did is journaled beside the spool ({@link AttemptJournal}), and the spool is deleted only once the server has taken
 * the result (or refused the attempt as stale): until then a restarted agent can still deliver it.
 */
final class TaskRunner {
    private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);
    private static final Duration SHOW_TIMEOUT = Duration.ofMinutes(5);
    /** The summary of a plan Terraform said changes nothing (exit code 0): every resource in it is a no-op. */
    private static final PlanSummary NOTHING_PLANNED = new PlanSummary(List.of(), List.of(), List.of());
    /** {@code terraform plan -detailed-exitcode}'s exit code for a plan that succeeded with something to apply. */
    private static final int PLAN_HAS_CHANGES = 2;

    /**
     * How an attempt ended, as reported in its result. {@code terraformKilled}: Terraform did not end by itself, so
     * what an apply changed may be missing from its state.
     */
    record Outcome(TaskStatus status, Integer exitCode, String message, boolean terraformKilled) {
        static final Outcome SUCCEEDED = new Outcome(TaskStatus.SUCCEEDED, 0, null, false);

        static Outcome errored(String message) {
            return new Outcome(TaskStatus.ERRORED, null, message, false);
        }

        /** This outcome, turned into an error when a later step (the state upload) went wrong. */
        Outcome and(String problem) {
            if (problem == null) return this;
            return new Outcome(
                    TaskStatus.ERRORED,
                    exitCode,
                    message == null ? problem : message + "; " + problem,
                    terraformKilled);
        }
    }

    /**
     * One command's end ({@code what}: "terraform plan", "the pre-apply hook"): {@code canceledBecause} is set when a
     * cancel stopped it, or kept it from starting (no exit code then); {@code killed} when its process tree had to be
     * killed.
     */
    private record Step(String what, Integer exitCode, String canceledBecause, boolean killed) {
        static Step notStarted(String what, String canceledBecause) {
            return new Step(what, null, canceledBecause, false);
        }

        Step exitedWith(int code) {
            return new Step(what, code, canceledBecause, killed);
        }

        boolean succeeded() {
            return canceledBecause == null && exitCode == 0;
        }

        Outcome outcome() {
            if (canceledBecause != null) {
                return new Outcome(
                        TaskStatus.CANCELED,
                        exitCode,
                        (exitCode == null ? "canceled before " + what + " started: " : "canceled during " + what + ": ")
                                + canceledBecause,
                        killed);
            }
            if (exitCode != 0) {
                return new Outcome(TaskStatus.FAILED, exitCode, what + " exited with code " + exitCode, killed);
            }
            return Outcome.SUCCEEDED;
        }
    }

    /** Starts one command of the attempt. */
    private interface Start {
        TerraformCommand start() throws IOException;
    }

    private final TaskAssignment task;
    private final WorkDir workDir;
    private final TerraformChooser terraforms;
    /** The binary this attempt runs, chosen when it starts; read on the run thread only. */
    private Terraform terraform;

    private final TaskReporter reporter;
    /** This attempt's upload credential. */
    private final JobCredentials job;

    private final boolean logWebSocket;
    private final AgentClock clock;
    private final String label;
    private final SecretMasker secrets;
    private final String agentId;
    private AttemptJournal journal;
    /** Terraform's output said the disk is full (read on the run thread, set by the output pumps). */
    private volatile boolean saidNoSpace;

    private final Object lock = new Object();
    private String cancelReason;
    private boolean forced;
    private String dropReason;
    /** Dropped by {@link #drop}: the agent is leaving, the attempt is still ours to deliver later. */
    private boolean shutdownDrop;

    private TerraformCommand current;
    /** Set when the attempt starts, under {@link #lock}. */
    private LogShipper shipper;
    /** Counted down when the attempt's reports are to be dropped: its uploads stop retrying. */
    private final CountDownLatch dropped = new CountDownLatch(1);

    TaskRunner(TaskAssignment task, TaskRunners shared) {
        this.task = task;
        this.workDir = shared.workDir();
        this.terraforms = shared.terraforms();
        this.logWebSocket = shared.logWebSocket();
        this.clock = shared.clock();
        this.job = JobCredentials.forClaim(shared.session(), task, clock);
        this.reporter = new TaskReporter(job, task.taskId(), task.attempt(), dropped, clock);
        this.secrets = SecretMasker.forTask(task);
        this.label = "task " + task.taskId() + " attempt " + task.attempt();
        this.agentId = shared.session().agentId();
    }

    TaskAssignment task() {
        return task;
    }

    /**
     * Stops the attempt (a cancel order, or agent shutdown), and the result says canceled, and why. Gracefully,
     * Terraform gets SIGINT and the grace period; with {@code force} its process tree is killed at once. Returns at
     * once.
     *
     * @return false when this changed nothing: a cancel was already under way and this one does not force it
     */
    boolean cancel(String reason, boolean force) {
        return stop(reason, force, null);
    }

    /**
     * The attempt cannot wait any longer (the agent is shutting down and its reports did not get through): kill
     * Terraform at once and report nothing more now. Its spool and journal stay for the next run of the agent.
     */
    void drop(String reason) {
        synchronized (lock) {
            shutdownDrop = true;
        }
        stop(reason, true, reason);
        LogShipper logs;
        synchronized (lock) {
            logs = shipper;
        }
        if (logs != null)
            logs.abandon(reason); // its flush() would otherwise wait for a server that may never take the lines
    }

    /** The server said the attempt is no longer ours: stop Terraform as for a cancel, and report nothing. */
    private void abandon() {
        stop("the attempt is no longer this agent's", false, "the server refused its log");
    }

    private boolean stop(String reason, boolean force, String drop) {
        TerraformCommand running;
        boolean changed;
        synchronized (lock) {
            boolean first = cancelReason == null;
            if (first) cancelReason = reason;
            changed = first || (force && !forced);
            forced |= force;
            if (drop != null && dropReason == null) dropReason = drop;
            running = current;
        }
        if (drop != null) dropped.countDown();
        if (changed && running != null) running.cancel(force);
        return changed;
    }

    void run() {
        log.info("{}: starting {} of workspace {}", label, task.action().wireName(), task.workspaceId());
        LogShipper logs;
        try {
            logs = openShipper();
        } catch (IOException e) {
            reportWithoutLog(e);
            return;
        }
        journal = AttemptJournal.start(
                workDir.spoolDir(), task.taskId(), task.attempt(), task.action(), serialOf(task.stateJson()));
        boolean spoolMayGo = false;
        try {
            Outcome outcome;
            RunDeadline deadline = RunDeadline.start(task.maxRunSeconds(), this::timeOut, clock);
            try {
                outcome = execute();
            } finally {
                deadline.close();
            }
            outcome = timedOut(deadline, outcome);
            journal.outcome(outcome);
            LogShipper.Proof proof = reporter.finish(logs, outcome);
            spoolMayGo = true;
            log.info(
                    "{}: {} (exit code {}, {} log lines){}",
                    label,
                    outcome.status().wireName(),
                    outcome.exitCode(),
                    proof.lines(),
                    outcome.message() == null ? "" : ": " + outcome.message());
        } catch (StaleAttemptException e) {
            // Stale: its lines belong to an attempt that no longer counts. Dropped at shutdown: the next run delivers
            // it.
            spoolMayGo = !droppedForShutdown();
            abandon();
            log.warn(
                    "{}: {}: {}",
                    label,
                    spoolMayGo
                            ? "no longer this agent's, dropped"
                            : "not reported; its spool is kept for" + " the agent's next start",
                    e.getMessage());
        } catch (InterruptedException e) {
            abandon();
            Thread.currentThread().interrupt();
            log.warn(
                    "{}: interrupted before its result was delivered; its spool is kept for the agent's next start",
                    label);
        } catch (ApiException e) {
            log.error(
                    "{}: the server refused the result ({}); its spool is kept for the agent's next start",
                    label,
                    e.toString());
        } finally {
            if (spoolMayGo) {
                logs.close();
                journal.delete();
            } else {
                logs.closeKeepingSpool();
            }
        }
    }

    /** The run's time is over: stop it as a cancel does; {@link #timedOut} then reports it errored. */
    private void timeOut(RunDeadline deadline) {
        systemLine(deadline.timedOut() + ": " + deadline.reason()
                + "; stopping the run (SIGINT, then kill after the grace)");
        log.warn("{}: {}; stopping it", label, deadline.timedOut());
        stop(deadline.reason(), false, null);
    }

    /**
     * A run that the deadline stopped (its stop was the first, so the outcome says canceled for that reason) ends
     * errored, "timed out after …"; one a user canceled first, or that ended before the stop took, keeps its outcome.
     */
    private Outcome timedOut(RunDeadline deadline, Outcome outcome) {
        if (!deadline.expired()
                || outcome.status() != TaskStatus.CANCELED
                || !deadline.reason().equals(cancelReason())) {
            return outcome;
        }
        java.util.regex.Matcher step = java.util.regex.Pattern.compile("^canceled (.*?): ")
                .matcher(outcome.message() == null ? "" : outcome.message());
        return new Outcome(
                TaskStatus.ERRORED,
                outcome.exitCode(),
                deadline.timedOut() + " (its max_run_time)" + (step.find() ? ": stopped " + step.group(1) : ""),
                outcome.terraformKilled());
    }

    private LogShipper openShipper() throws IOException {
        LogSpool spool = LogSpool.create(workDir.root(), task.taskId(), task.attempt());
        LogShipper logs = new LogShipper(
                new LogUplink(job, task.taskId(), task.attempt(), logWebSocket, clock),
                spool,
                task.maxLogBytes(),
                this::abandon,
                workDir.disk()::releaseReserve,
                clock);
        synchronized (lock) {
            shipper = logs;
        }
        logs.start();
        return logs;
    }

    /** The attempt cannot keep a log: it is not run, and its result says why. */
    private void reportWithoutLog(IOException spoolFailure) {
        String reason = (NoSpace.causedBy(spoolFailure) ? noSpaceMessage() + ": " : "")
                + "the agent cannot write the log" + " spool in " + workDir.root() + ": " + spoolFailure.getMessage();
        log.error("{}: not run: {}", label, reason);
        try {
            reporter.result(new TaskResult(task.attempt(), TaskStatus.ERRORED, null, reason, 0, null));
        } catch (StaleAttemptException | ApiException e) {
            log.warn("{}: the server did not take the result: {}", label, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Outcome execute() throws StaleAttemptException, InterruptedException {
        // An attempt that applies a reviewed plan runs in the configuration that plan was made from.
        PlanBundle.Unpacked stored = null;
        if (task.applyStoredPlan()) {
            try {
                stored = storedPlan();
            } catch (IOException e) {
                return Outcome.errored(
                        systemLine("the stored plan cannot be used, nothing was applied: " + e.getMessage()));
            } catch (ApiException e) {
                return agentError("the server refused the stored plan", e);
            }
        }
        TaskDirectory dir;
        try {
            dir = workDir.create(stored == null ? task : stored.configure(task));
            if (stored != null) stored.writeInto(dir);
        } catch (IOException e) {
            return agentError("the agent could not prepare the task directory", e);
        }
        try (dir) {
            try {
                terraform = terraforms.forTask(task, this::systemLine);
            } catch (TerraformVersionException e) {
                return Outcome.errored(systemLine(e.getMessage()));
            }
            phase(TaskPhase.PLANNING);
            Step init = workDir.pluginCache()
                    .initializing(
                            this::systemLine,
                            () -> run(
                                    "terraform init",
                                    () -> terraform.startInit(dir, this::output, secrets, "init", "-input=false")));
            if (!init.succeeded()) return ended(init);
            if (stored != null) return apply(dir);
            Step prePlan = hook(dir, Hooks.Point.PRE_PLAN, "terraform plan");
            if (!prePlan.succeeded()) return ended(prePlan);
            List<String> planArgs = new ArrayList<>(
                    List.of("plan", "-input=false", "-detailed-exitcode", "-out=" + TaskDirectory.PLAN));
            planArgs.addAll(options().planArguments());
            Step plan = run(dir, planArgs.toArray(String[]::new));
            // Terraform's own answer to "is there anything to apply?", known without reading the plan file.
            boolean planned = plan.exitCode() != null && plan.exitCode() == PLAN_HAS_CHANGES;
            if (planned) plan = plan.exitedWith(0);
            if (!plan.succeeded()) return ended(plan);
            Step postPlan = hook(dir, Hooks.Point.POST_PLAN, null);
            if (!postPlan.succeeded()) return ended(postPlan);
            // A refresh-only plan changes no resource, yet applying it is what stores the refreshed state.
            boolean changes = planned || options().refreshOnly();
            try (PlanReading reading = PlanReading.start(
                    planned ? () -> summarize(dir) : () -> NOTHING_PLANNED,
                    this::reportSummary,
                    task.taskId() + "-a" + task.attempt())) {
                Outcome outcome = afterPlan(dir, plan, changes);
                try {
                    reading.reported();
                    return outcome;
                } catch (ApiException e) {
                    return outcome.and(
                            systemLine("the server refused the plan summary (" + e.code() + "): " + e.getMessage()));
                }
            }
        } catch (IOException e) {
            return agentError("the agent could not run terraform", e);
        } catch (ApiException e) {
            return agentError("the server refused a phase report", e);
        }
    }

    /**
     * What follows a plan that succeeded, while its summary is read and reported ({@link PlanReading}): a plan task
     * stores it, a plan without changes ends the run, one that needs review is stored to wait, any other is applied.
     */
    private Outcome afterPlan(TaskDirectory dir, Step plan, boolean changes)
            throws IOException, StaleAttemptException, InterruptedException {
        if (task.action() == TaskAction.PLAN) {
            if (changes) keepPlan(dir); // for a later task apply; the plan task succeeds either way
            return plan.outcome();
        }
        if (!changes) {
            systemLine("the plan has no changes: apply skipped");
            return new Outcome(TaskStatus.SUCCEEDED, 0, "no changes: apply skipped", false);
        }
        if (task.confirmFirst()) {
            String problem = keepPlan(dir);
            if (problem != null) return Outcome.errored(problem + "; nothing was applied");
            systemLine("the plan waits for confirmation: ./iac task confirm " + task.taskId()
                    + " applies exactly this plan, ./iac task discard " + task.taskId() + " drops it");
            return new Outcome(TaskStatus.PLANNED, 0, "waiting for confirmation", false);
        }
        return apply(dir);
    }

    /** The plan in {@code dir}, applied: the pre-apply hook, the applying phase, {@code terraform apply}, the state. */
    private Outcome apply(TaskDirectory dir) throws IOException, StaleAttemptException, InterruptedException {
        // Before the applying phase is reported: a failing pre-apply hook leaves nothing that may have changed.
        Step preApply = hook(dir, Hooks.Point.PRE_APPLY, "terraform apply");
        if (!preApply.succeeded()) return preApply.outcome();
        String canceled = cancelReason();
        if (canceled != null)
            return Step.notStarted("terraform apply", canceled).outcome();
        phase(TaskPhase.APPLYING);
        Step apply = run(dir, "apply", "-input=false", "-auto-approve", TaskDirectory.PLAN);
        Outcome applied = ended(apply);
        shipper.sendNow(); // the apply's last lines travel while its state does
        journal.outcome(applied); // before the state upload, which may wait long for a server
        String stateProblem = uploadChangedState(dir);
        if (!apply.succeeded()) return applied.and(stateProblem);
        return ended(hook(dir, Hooks.Point.POST_APPLY, null)).and(stateProblem);
    }

    private RunOptions options() {
        return task.runOptions() == null ? RunOptions.NORMAL : task.runOptions();
    }

    /**
     * Uploads the plan in {@code dir} with what applying it needs ({@link PlanBundle}) and the state it was made from.
     *
     * @return why it could not be stored, or null
     */
    private String keepPlan(TaskDirectory dir) throws StaleAttemptException, InterruptedException {
        byte[] bundle;
        try {
            bundle = PlanBundle.pack(dir, task);
        } catch (IOException e) {
            return systemLine("the plan cannot be stored: " + e.getMessage());
        }
        JsonNode state = task.stateJson();
        try {
            reporter.planFile(new PlanFileUpload(
                    task.attempt(),
                    sha256(bundle),
                    serialOf(state),
                    state == null ? null : state.path("lineage").asText(null),
                    Base64.getEncoder().encodeToString(bundle)));
        } catch (ApiException e) {
            return systemLine("the server did not store the plan (" + e.code() + "): " + e.getMessage());
        }
        systemLine("the plan is stored on the server (" + bundle.length + " bytes, sealed)");
        return null;
    }

    /** The reviewed plan this attempt applies, as stored, its digest checked. */
    private PlanBundle.Unpacked storedPlan() throws IOException, StaleAttemptException, InterruptedException {
        PlanFile file = reporter.storedPlan();
        byte[] bundle = Base64.getDecoder().decode(file.bundle());
        if (!sha256(bundle).equals(file.sha256())) {
            throw new IOException("its SHA-256 is " + sha256(bundle) + ", not " + file.sha256() + " as stored");
        }
        systemLine("applying the stored plan (sha256 " + file.sha256() + ") exactly as it was reviewed");
        return PlanBundle.unpack(bundle);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Tells the server first: an apply must not start before the server knows it may have. */
    private void phase(TaskPhase phase) throws StaleAttemptException, InterruptedException {
        reporter.phase(phase);
        journal.phase(phase);
    }

    /** The command's outcome; one that failed for want of disk space is the platform's error, not Terraform's failure. */
    private Outcome ended(Step step) {
        Outcome outcome = step.outcome();
        if (outcome.status() != TaskStatus.FAILED) return outcome;
        boolean noSpace = shipper.sawNoSpace() || (saidNoSpace && workDir.disk().exhausted());
        if (!noSpace) return outcome;
        return new Outcome(
                TaskStatus.ERRORED,
                step.exitCode(),
                systemLine(noSpaceMessage() + ": " + step.what() + " exited with code " + step.exitCode()),
                step.killed());
    }

    private String noSpaceMessage() {
        return "no space left on device on agent " + agentId + " (work directory " + workDir.root() + ")";
    }

    /**
     * Runs the hook for {@code point} if there is one, its lines marked in the log; a hook that is absent succeeds.
     *
     * @param before the command a failing pre hook keeps from running, for the log; null for a post hook
     */
    private Step hook(TaskDirectory dir, Hooks.Point point, String before) throws IOException, InterruptedException {
        Path hook = terraform.launcher().hooks().find(point).orElse(null);
        if (hook == null) return new Step("the " + point.fileName + " hook", 0, null, false);
        systemLine("running the " + point.fileName + " hook (" + hook + ")");
        Map<String, String> env = Map.of(
                "IAC_HOOK",
                point.fileName,
                "IAC_TASK_ID",
                task.taskId(),
                "IAC_WORKSPACE_ID",
                task.workspaceId(),
                "IAC_ACTION",
                task.action().wireName(),
                "IAC_ATTEMPT",
                Integer.toString(task.attempt()));
        Step step = run(
                "the " + point.fileName + " hook",
                () -> terraform
                        .launcher()
                        .start(
                                dir,
                                false,
                                List.of(hook.toString()),
                                env,
                                (stream, line) -> shipper.append(stream, point.marker() + line),
                                secrets));
        if (step.canceledBecause() == null && step.exitCode() != null && step.exitCode() != 0) {
            systemLine("the " + point.fileName + " hook exited with code " + step.exitCode() + ": the run fails here"
                    + (before == null ? "" : ", before " + before));
        }
        return step;
    }

    private Step run(TaskDirectory dir, String... args) throws IOException, InterruptedException {
        return run("terraform " + args[0], () -> terraform.start(dir, this::output, secrets, args));
    }

    /**
     * Runs one command of the attempt on this thread, which waits for it: a sandbox dies with the thread that started
     * it (bubblewrap's {@code --die-with-parent}, see {@code sandbox.Bubblewrap}).
     */
    private Step run(String what, Start start) throws IOException, InterruptedException {
        TerraformCommand command;
        synchronized (lock) {
            // Started under the lock, so a cancel either sees this command or stops it from starting.
            if (cancelReason != null) return Step.notStarted(what, cancelReason);
            command = start.start();
            current = command;
        }
        try {
            int exit = command.waitFor();
            return new Step(what, exit, command.wasCanceled() ? cancelReason() : null, command.wasKilled());
        } catch (InterruptedException e) {
            command.cancel(false);
            throw e;
        } finally {
            synchronized (lock) {
                current = null;
            }
        }
    }

    /** A line Terraform printed: into the log, noting whether it says the disk is full. */
    private void output(LogStream stream, String line) {
        if (!saidNoSpace && NoSpace.saidIn(line)) saidNoSpace = true;
        shipper.append(stream, line);
    }

    /**
     * After an apply, finished or not (Terraform keeps partial state when an apply fails or is interrupted), the
     * state goes to the server unless the apply left it as it came.
     *
     * @return why the state could not be stored, or null
     */
    private String uploadChangedState(TaskDirectory dir) throws StaleAttemptException, InterruptedException {
        String drop = dropReason();
        if (drop != null) throw new StaleAttemptException(drop);
        Optional<ObjectNode> state;
        try {
            state = dir.readState();
        } catch (IOException e) {
            return systemLine("cannot read the state terraform wrote: " + e.getMessage());
        }
        if (state.isEmpty() || sameSerial(task.stateJson(), state.get())) return null;
        try {
            reporter.state(state.get());
            journal.stateStored();
            log.info(
                    "{}: uploaded state serial {}",
                    label,
                    state.get().path("serial").asText());
            return null;
        } catch (ApiException e) {
            log.error("{}: state upload refused: {}", label, e.toString());
            return systemLine("the server refused the state terraform wrote (" + e.code() + "): " + e.getMessage());
        }
    }

    /**
     * Runs on the {@link PlanReading} thread, maybe while Terraform applies: refused as stale, the attempt is no longer
     * ours, so Terraform is stopped at once, as for a refused log, not after the apply.
     */
    private void reportSummary(PlanSummary summary) throws StaleAttemptException, InterruptedException {
        try {
            reporter.plan(summary);
        } catch (StaleAttemptException e) {
            abandon();
            throw e;
        }
    }

    /**
     * What the plan would do ({@code terraform show -json}); null when it cannot be told, which is said in the log and
     * costs only the summary (the apply runs as planned). Runs on the {@link PlanReading} thread.
     */
    private PlanSummary summarize(TaskDirectory dir) throws InterruptedException {
        try {
            Path json = terraform.output(dir, "plan.json", SHOW_TIMEOUT, "show", "-json", TaskDirectory.PLAN);
            return PlanSummaries.of(WireJson.lenient().readTree(json.toFile()));
        } catch (IOException e) {
            log.warn("{}: no plan summary: {}", label, e.toString());
            systemLine("could not summarize the plan (" + e.getMessage() + ")");
            return null;
        }
    }

    private static boolean sameSerial(ObjectNode input, ObjectNode output) {
        Long before = serialOf(input);
        return before != null && before.equals(serialOf(output));
    }

    /** A state's serial; null for no state (or one without a serial). */
    static Long serialOf(JsonNode state) {
        JsonNode serial = state == null ? null : state.get("serial");
        return serial == null || !serial.canConvertToLong() ? null : serial.asLong();
    }

    private Outcome agentError(String what, Exception e) {
        log.error("{}: {}: {}", label, what, e.toString());
        String cause = e instanceof IOException io && NoSpace.causedBy(io) ? noSpaceMessage() + ": " : "";
        return Outcome.errored(systemLine(cause + what + ": " + e.getMessage()));
    }

    /** Puts the agent's own message into the task's log, where the user reads Terraform's. */
    private String systemLine(String message) {
        shipper.append(LogStream.SYSTEM, message);
        return message;
    }

    private String cancelReason() {
        synchronized (lock) {
            return cancelReason;
        }
    }

    private boolean droppedForShutdown() {
        synchronized (lock) {
            return shutdownDrop;
        }
    }

    private String dropReason() {
        synchronized (lock) {
            return dropReason;
        }
    }
}
