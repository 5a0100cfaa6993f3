package io.iacrunner.agent;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, finishes what a crashed run of the agent left: for each leftover log spool, uploads the lines the server
 * does not have yet and reports the attempt {@code errored} (its Terraform died with the agent), with the completion
 * proof of the spooled log. This works while the attempt is still this agent's ({@link SavedIdentity} brought the
 * agent back as itself before its lease ran out); an attempt the server has since given away refuses the upload as
 * stale, and its spool is deleted: its lines belong to an attempt that no longer counts.
 */
final class SpoolRecovery implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SpoolRecovery.class);
    static final String RESULT_MESSAGE = "the agent restarted while this attempt ran; its log was uploaded from the agent's spool";

    private final AgentSession session;
    private final List<LogSpool.Leftover> leftovers;
    private final boolean logWebSocket;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile LogShipper current;
    /** Leftover attempts not yet reported: still this agent's, so its pings list them. */
    private final Set<String> pending = ConcurrentHashMap.newKeySet();

    /** Finds the leftovers at once, so the first ping already lists their tasks. */
    SpoolRecovery(AgentSession session, WorkDir workDir, boolean logWebSocket) {
        this.session = session;
        this.logWebSocket = logWebSocket;
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
                log.error("task {} attempt {}: cannot recover the log spool {}: {}", leftover.taskId(), leftover.attempt(),
                        leftover.file(), e.toString());
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
        String label = "task " + leftover.taskId() + " attempt " + leftover.attempt();
        log.info("{}: found the log spool of an earlier run ({} bytes); uploading it", label, Files.size(leftover.file()));
        LogSpool spool = LogSpool.reopen(leftover);
        CountDownLatch dropped = new CountDownLatch(1);
        // The job token of the attempt died with the last run: the first upload asks for a new one.
        JobCredentials job = new JobCredentials(session, leftover.taskId(), leftover.attempt(), null);
        LogShipper shipper = LogShipper.resume(job, spool,
                new LogUplink(job, leftover.taskId(), leftover.attempt(), logWebSocket), leftover.taskId(),
                leftover.attempt(), dropped::countDown);
        current = shipper;
        shipper.start();
        LogShipper.Proof proof = shipper.flush();
        if (stopped.getCount() == 0) {
            shipper.closeKeepingSpool();
            return;
        }
        try {
            if (shipper.isStale()) {
                log.warn("{}: the attempt is no longer this agent's; its spooled log is dropped", label);
                return;
            }
            new TaskReporter(job, leftover.taskId(), leftover.attempt(), dropped)
                    .result(new TaskResult(leftover.attempt(), TaskStatus.ERRORED, null, RESULT_MESSAGE, proof.lines(), proof.sha256()));
            log.info("{}: uploaded {} spooled log lines and reported the attempt errored", label, proof.lines());
        } catch (StaleAttemptException e) {
            log.warn("{}: the attempt is no longer this agent's; its spooled log is dropped ({})", label, e.getMessage());
        } catch (ApiException e) {
            log.error("{}: the server refused the result: {}", label, e.toString());
        } finally {
            current = null;
            shipper.close(); // deletes the spool
        }
    }
}
