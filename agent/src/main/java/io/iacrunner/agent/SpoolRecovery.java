package io.iacrunner.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.logs.LogShipper;
import io.iacrunner.agent.logs.LogSpool;
import io.iacrunner.agent.logs.LogUplink;
import io.iacrunner.agent.terraform.TaskDirectory;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, finishes what an earlier run of the agent left (a crash, or a shutdown whose reports could not get
 * through): for each leftover log spool, uploads the lines the server does not have yet and reports the attempt. What
 * it reports comes from the attempt's {@link AttemptJournal}: the outcome, when Terraform had ended (an apply that
 * finished is reported as it finished, not as an error); an attempt that died before it started applying is handed
 * back, so the task is queued again (attempts permitting); else {@code errored}, since its Terraform died with the
 * agent. An apply's state that was not stored yet is taken from the task directory the run left (Terraform writes it
 * as it goes) and uploaded first.
 *
 * <p>This works while the attempt is still this agent's ({@link SavedIdentity} brought the agent back as itself); an
 * attempt the server has since given away refuses the upload as stale, and its spool is deleted: its lines belong to
 * an attempt that no longer counts.
 */
final class SpoolRecovery implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SpoolRecovery.class);
    static final String RESULT_MESSAGE =
            "the agent restarted while this attempt ran; its log was uploaded from the agent's spool";
    static final String HAND_BACK_REASON =
            "the agent restarted before this attempt started applying; its Terraform died with it";

    private final AgentSession session;
    private final WorkDir workDir;
    private final List<LogSpool.Leftover> leftovers;
    private final boolean logWebSocket;
    private final AgentClock clock;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile LogShipper current;
    /** Leftover attempts not yet reported: still this agent's, so its pings list them. */
    private final Set<String> pending = ConcurrentHashMap.newKeySet();

    /**
     * Finds the leftovers at once, so the first ping already lists their tasks.
     *
     * @param clock what the uploads' retries wait on
     */
    SpoolRecovery(AgentSession session, WorkDir workDir, boolean logWebSocket, AgentClock clock) {
        this.session = session;
        this.workDir = workDir;
        this.logWebSocket = logWebSocket;
        this.clock = clock;
        List<LogSpool.Leftover> found;
        try {
            found = LogSpool.leftovers(workDir.root());
        } catch (IOException e) {
            log.error("cannot list leftover log spools in {}: {}", workDir.root(), e.toString());
            found = List.of();
        }
        this.leftovers = found;
        found.forEach(l -> pending.add(l.taskId()));
    }

    @Override
    public void run() {
        for (LogSpool.Leftover leftover : leftovers) {
            if (stopped.getCount() == 0) return;
            try {
                recover(leftover);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                log.error(
                        "task {} attempt {}: cannot recover the log spool {}: {}",
                        leftover.taskId(),
                        leftover.attempt(),
                        leftover.file(),
                        e.toString());
            } finally {
                pending.remove(leftover.taskId());
            }
        }
    }

    /** The tasks whose leftover attempt is still being recovered. */
    List<String> taskIds() {
        return List.copyOf(pending);
    }

    /** Stops the recovery in progress (agent shutdown); what is left stays spooled for the next run. */
    void stop() {
        stopped.countDown();
        LogShipper shipper = current;
        if (shipper != null) shipper.abandon("the agent is shutting down");
    }

    private void recover(LogSpool.Leftover leftover) throws IOException, InterruptedException {
        String taskId = leftover.taskId();
        int attempt = leftover.attempt();
        String label = "task " + taskId + " attempt " + attempt;
        log.info(
                "{}: found the log spool of an earlier run ({} bytes); uploading it",
                label,
                Files.size(leftover.file()));
        AttemptJournal journal = AttemptJournal.leftover(workDir.spoolDir(), taskId, attempt);
        LogSpool spool = LogSpool.reopen(leftover);
        CountDownLatch dropped = new CountDownLatch(1);
        // The job token of the attempt died with the last run: the first upload asks for a new one.
        JobCredentials job = new JobCredentials(session, taskId, attempt, null, clock);
        LogShipper shipper = LogShipper.resume(
                new LogUplink(job, taskId, attempt, logWebSocket, clock), spool, dropped::countDown, clock);
        TaskReporter reporter = new TaskReporter(job, taskId, attempt, dropped, clock);
        current = shipper;
        shipper.start();
        boolean delivered = false;
        try {
            if (diedBeforeApplying(journal.entry())) {
                LogShipper.Proof proof = shipper.flush();
                if (shipper.isStale() || shipper.isAbandoned())
                    throw new StaleAttemptException("its log was not taken");
                reporter.handBack(HAND_BACK_REASON);
                delivered = true;
                log.info(
                        "{}: uploaded {} spooled log lines and handed the attempt back: it had not started applying",
                        label,
                        proof.lines());
                return;
            }
            TaskRunner.Outcome outcome = outcome(journal.entry());
            if (mayHaveChangedState(journal.entry()))
                outcome = outcome.and(uploadLeftState(leftover, reporter, journal));
            LogShipper.Proof proof = reporter.finish(shipper, outcome);
            delivered = true;
            log.info(
                    "{}: uploaded {} spooled log lines and reported the attempt {}",
                    label,
                    proof.lines(),
                    outcome.status().wireName());
        } catch (StaleAttemptException e) {
            delivered = stopped.getCount() > 0; // stale: its lines are void; a shutdown: the next run goes on with it
            if (delivered)
                log.warn(
                        "{}: the attempt is no longer this agent's; its spooled log is dropped ({})",
                        label,
                        e.getMessage());
        } catch (ApiException e) {
            log.error(
                    "{}: the server refused the result ({}); the spool is kept for the next start",
                    label,
                    e.toString());
        } finally {
            current = null;
            if (delivered) {
                shipper.close(); // deletes the spool
                journal.delete();
                workDir.deleteLeftover(taskId, attempt);
            } else {
                shipper.closeKeepingSpool();
            }
        }
    }

    /**
     * Whether the attempt died with the agent before it could have applied (its journal says so): nothing to report
     * but that, and the task may simply run again, so it is handed back to the queue rather than reported errored.
     */
    private static boolean diedBeforeApplying(Optional<AttemptJournal.Entry> entry) {
        return entry.map(e -> e.outcome() == null && e.phase() != TaskPhase.APPLYING)
                .orElse(false);
    }

    /** What to report: the journal's outcome when Terraform had ended; else errored, as Terraform died with the agent. */
    private static TaskRunner.Outcome outcome(Optional<AttemptJournal.Entry> entry) {
        TaskRunner.Outcome ended = entry.map(AttemptJournal.Entry::outcome).orElse(null);
        if (ended != null) return ended;
        boolean applying = entry.map(e -> e.phase() == TaskPhase.APPLYING).orElse(false);
        return new TaskRunner.Outcome(TaskStatus.ERRORED, null, RESULT_MESSAGE, applying);
    }

    /**
     * Whether the attempt may have a state to deliver: it reached the apply (a journal-less spool from before journals
     * is treated alike) and did not store the state it left.
     */
    private static boolean mayHaveChangedState(Optional<AttemptJournal.Entry> entry) {
        return entry.map(e -> e.phase() == TaskPhase.APPLYING && !e.stateStored())
                .orElse(true);
    }

    /**
     * Uploads the state Terraform left in the attempt's task directory, unless it is the state the attempt started
     * from. Returns why it could not be stored, or null.
     */
    private String uploadLeftState(LogSpool.Leftover leftover, TaskReporter reporter, AttemptJournal journal)
            throws StaleAttemptException, InterruptedException {
        Optional<Path> dir = workDir.leftoverTaskDir(leftover.taskId(), leftover.attempt());
        if (dir.isEmpty()) return null;
        Long inputSerial =
                journal.entry().map(AttemptJournal.Entry::inputSerial).orElse(null);
        Optional<ObjectNode> state;
        try {
            state = TaskDirectory.readState(dir.get());
        } catch (IOException e) {
            return "cannot read the state terraform left in " + dir.get() + ": " + e.getMessage();
        }
        if (state.isEmpty() || Objects.equals(TaskRunner.serialOf(state.get()), inputSerial)) return null;
        try {
            reporter.state(state.get());
            journal.stateStored();
            log.info(
                    "task {} attempt {}: uploaded the state serial {} the earlier run left",
                    leftover.taskId(),
                    leftover.attempt(),
                    TaskRunner.serialOf(state.get()));
            return null;
        } catch (ApiException e) {
            return "the server refused the state terraform left (" + e.code() + "): " + e.getMessage();
        }
    }
}
