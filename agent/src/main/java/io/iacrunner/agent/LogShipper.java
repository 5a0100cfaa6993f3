package io.iacrunner.agent;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships one task attempt's log lines to the server, losing none.
 *
 * <p>This is the one place sequence numbers are assigned: {@link #append} numbers lines in arrival order across
 * stdout, stderr and the agent's own messages. Lines stay queued until the server's {@link LogAck} says they are
 * stored; every batch starts at the oldest unacknowledged line, so a retry after a lost reply resends lines the
 * server already has, which it skips. A single sender thread keeps one request in flight, so batches arrive in
 * order. Transient failures are retried forever: a line is only dropped when the server says the attempt is no
 * longer wanted ({@code stale_attempt}) or refuses the log for good ({@code log_gap}, a bad request).
 */
final class LogShipper {
    private static final Logger log = LoggerFactory.getLogger(LogShipper.class);

    static final int MAX_BATCH_LINES = 1000;
    static final int EAGER_LINES = 500;
    /**
     * A budget for a batch's JSON, under the 1 MiB request limit common to HTTP servers (Javalin's default), so a
     * batch of long coloured lines is never refused for its size.
     */
    static final long MAX_BATCH_BYTES = 768 * 1024;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);
    /** Per line: seq, timestamp, stream and the JSON around them. */
    private static final int LINE_OVERHEAD_BYTES = 96;

    private enum State { SHIPPING, STALE, REFUSED, DROPPED, CLOSED }

    private record Pending(LogLine line, long bytes, long appendedAt) {}

    private final AgentSession session;
    private final String path;
    private final int attempt;
    private final String label;
    private final Runnable onStale;
    private final OutageLog outage;

    private final Object lock = new Object();
    private final ArrayDeque<Pending> unacknowledged = new ArrayDeque<>();
    private long nextSeq;
    private long acknowledged;
    private boolean flushing;
    private State state = State.SHIPPING;
    private Thread sender;
    /** Touched by the sender thread only. */
    private boolean registeredAgain;

    /** @param onStale told (on the sender thread) when the server says the attempt is no longer the current one */
    LogShipper(AgentSession session, String taskId, int attempt, Runnable onStale) {
        this.session = session;
        this.path = ApiPaths.fill(ApiPaths.TASK_LOGS, taskId);
        this.attempt = attempt;
        this.label = "task " + taskId + " attempt " + attempt;
        this.onStale = onStale;
        this.outage = new OutageLog(log, "log upload for " + label);
    }

    void start() {
        sender = Thread.ofPlatform().daemon().name("logs-" + label.replace(' ', '-')).start(this::sendLoop);
    }

    void append(LogStream stream, String text) {
        synchronized (lock) {
            long seq = nextSeq++;
            if (state != State.SHIPPING) return;
            unacknowledged.addLast(new Pending(new LogLine(seq, Instant.now(), stream, text), jsonSize(text), System.nanoTime()));
            // The sender waits without a deadline while the queue is empty, and until the linger ends otherwise.
            if (unacknowledged.size() == 1 || unacknowledged.size() == EAGER_LINES) lock.notifyAll();
        }
    }

    /**
     * Sends everything at once and blocks until the server has acknowledged every line appended so far, or the
     * attempt's log was refused ({@link #isStale()} tells which).
     *
     * @return the number of lines appended, which is what the result reports
     */
    long flush() throws InterruptedException {
        synchronized (lock) {
            long total = nextSeq;
            flushing = true;
            lock.notifyAll();
            while (state == State.SHIPPING && acknowledged < total) lock.wait();
            return total;
        }
    }

    /**
     * The attempt's reports are dropped (the agent lost its lease): stop sending, discard what is queued, and let a
     * waiting {@link #flush()} return. Logged quietly: the caller reports the reason once.
     */
    void abandon(String reason) {
        int dropped;
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            state = State.DROPPED;
            dropped = unacknowledged.size();
            unacknowledged.clear();
            lock.notifyAll();
        }
        log.info("{}: log shipping stopped ({}), {} lines not sent", label, reason, dropped);
    }

    boolean isStale() {
        synchronized (lock) {
            return state == State.STALE;
        }
    }

    /** Stops the sender; lines not acknowledged by now are dropped, which after {@link #flush()} is none. */
    void close() {
        int dropped;
        synchronized (lock) {
            dropped = state == State.SHIPPING ? unacknowledged.size() : 0;
            if (state == State.SHIPPING) state = State.CLOSED;
            unacknowledged.clear();
            lock.notifyAll();
        }
        if (dropped > 0) log.warn("{}: closed with {} log lines not acknowledged by the server", label, dropped);
        if (sender != null) sender.interrupt(); // ends a request in flight; nothing is waiting for its reply
    }

    private void sendLoop() {
        Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY);
        try {
            while (true) {
                LogBatch batch = nextBatch();
                if (batch == null) return;
                long generation = session.generation();
                try {
                    LogAck ack = session.api().post(path, batch, LogAck.class);
                    if (!shipping()) return; // abandoned or closed while the request was under way
                    if (acknowledge(ack)) {
                        outage.recovered();
                        backoff.reset();
                        continue;
                    }
                    // Nothing new stored: resending at once would spin; treat it like a failure.
                    outage.failed(new IllegalStateException("the server stored none of the batch starting at "
                            + batch.firstSeq() + " (acknowledged " + (ack == null ? "nothing" : ack.committedLines()) + ")"));
                } catch (ApiException e) {
                    if (!shipping() || !mayRetry(e, generation)) return;
                }
                pause(backoff.next());
            }
        } catch (InterruptedException e) {
            // close(): nothing left to do.
        }
    }

    private boolean shipping() {
        synchronized (lock) {
            return state == State.SHIPPING;
        }
    }

    /** Blocks until a batch is due: 500 lines waiting, the oldest waiting 200 ms, or a flush. Null once stopped. */
    private LogBatch nextBatch() throws InterruptedException {
        synchronized (lock) {
            while (true) {
                if (state != State.SHIPPING) return null;
                if (unacknowledged.isEmpty()) {
                    lock.wait();
                    continue;
                }
                long wait = flushing || unacknowledged.size() >= EAGER_LINES
                        ? 0
                        : unacknowledged.peekFirst().appendedAt() + LINGER_NANOS - System.nanoTime();
                if (wait <= 0) break;
                TimeUnit.NANOSECONDS.timedWait(lock, wait);
            }
            List<LogLine> lines = new ArrayList<>(Math.min(unacknowledged.size(), MAX_BATCH_LINES));
            long bytes = 0;
            for (Pending p : unacknowledged) {
                if (lines.size() == MAX_BATCH_LINES || (!lines.isEmpty() && bytes + p.bytes() > MAX_BATCH_BYTES)) break;
                lines.add(p.line());
                bytes += p.bytes();
            }
            return new LogBatch(attempt, acknowledged, lines);
        }
    }

    /** Drops what the server says it stored; false when that is nothing new. */
    private boolean acknowledge(LogAck ack) {
        synchronized (lock) {
            if (ack == null || state != State.SHIPPING) return false;
            long committed = Math.min(ack.committedLines(), nextSeq);
            if (committed <= acknowledged) return false;
            while (acknowledged < committed) {
                unacknowledged.pollFirst();
                acknowledged++;
            }
            lock.notifyAll();
            return true;
        }
    }

    private boolean mayRetry(ApiException e, long generation) {
        // Refused under a fresh registration too: the attempt belongs to the agent we were before.
        if (ApiFailures.staleAttempt(e) || (ApiFailures.agentRejected(e) && registeredAgain)) {
            onStale.run(); // before stop() wakes flush(): whoever flushed then already knows
            stop(State.STALE, e);
            return false;
        }
        if (ApiFailures.agentRejected(e)) {
            session.renew(generation);
            registeredAgain = true;
            return true;
        }
        if (e.isTransient()) {
            outage.failed(e);
            return true;
        }
        stop(State.REFUSED, e); // log_gap or a request the server will never take: retrying cannot help
        return false;
    }

    private void stop(State reason, ApiException e) {
        long lost;
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            state = reason;
            lost = unacknowledged.size();
            unacknowledged.clear();
            lock.notifyAll();
        }
        log.error("{}: log shipping stopped, {} lines not stored: {}", label, lost, e.toString());
    }

    private void pause(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            long left;
            while (state == State.SHIPPING && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    /** An upper estimate of the line's size in the batch JSON; control characters (colours) become six bytes. */
    private static long jsonSize(String text) {
        long n = LINE_OVERHEAD_BYTES;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20) n += 6;
            else if (c == '"' || c == '\\') n += 2;
            else if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else n += 3;
        }
        return n;
    }
}
