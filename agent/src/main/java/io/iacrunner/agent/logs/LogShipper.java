package io.iacrunner.agent.logs;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Backoff;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.agent.util.NoSpace;
import io.iacrunner.agent.util.OutageLog;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships one task attempt's log lines to the server, losing none and doubling none.
 *
 * <p>This is the one place sequence numbers are assigned: {@link #append} numbers lines in arrival order across
 * stdout, stderr and the agent's own messages, writes each to the attempt's {@link LogSpool} and adds it to the
 * completion proof (count and SHA-256). A single sender thread reads batches back from the spool, starting at the
 * oldest line the server has not acknowledged, and keeps one batch in flight; the server skips lines it already has,
 * so a retry after a lost reply doubles nothing, and its {@link LogAck} says where the next batch starts. Transient
 * failures are retried forever with backoff and jitter (the spool, not memory, holds what waits). Lines are only given
 * up when the server says the attempt is no longer wanted ({@code stale_attempt}) or refuses the log for good. A
 * server that has fewer lines than it acknowledged before ({@code 409 log_gap}: its store lost its last chunks) is
 * asked what it has, and the lines are sent again from there: the spool keeps them until the attempt has reported.
 *
 * <p>A line that cannot be spooled (the disk is full, even after {@code freeReserve} gave back the space the agent keeps
 * for this) is lost: it is not numbered, and the {@link Proof} counts it apart with the reason, so the task's log says
 * it is incomplete and why instead of silently missing lines.
 *
 * <p>{@code stream_mode=auto}: each ack says how many people watch the task. With viewers a batch goes out
 * {@link #LINGER_WATCHED} after its first line, without them after {@link #LINGER_UNWATCHED}, in fewer, larger requests.
 */
public final class LogShipper {
    private static final Logger log = LoggerFactory.getLogger(LogShipper.class);

    static final int MAX_BATCH_LINES = 1000;
    /**
     * Batches sent over the WebSocket ahead of their acks: while the server commits one, the next is on the wire and
     * being parsed, and it may commit those waiting together. Over HTTP one at a time.
     */
    static final int BATCHES_IN_FLIGHT = 4;

    static final int EAGER_LINES = 500;
    /**
     * A budget for a batch's JSON, under the 1 MiB request limit common to HTTP servers (Javalin's default), so a
     * batch of long coloured lines is never refused for its size. A spooled line is the line's wire JSON.
     */
    static final int MAX_BATCH_BYTES = 768 * 1024;

    static final Duration LINGER_WATCHED = Duration.ofMillis(50);
    static final Duration LINGER_UNWATCHED = Duration.ofSeconds(1);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);

    /**
     * The completion proof sent with the result: lines spooled (the log the server must hold), the SHA-256 of each
     * line + "\n" in UTF-8, and the lines that could not be spooled, with why.
     */
    public record Proof(long lines, String sha256, long lost, String lostReason) {}

    private enum State {
        SHIPPING,
        STALE,
        REFUSED,
        DROPPED,
        CLOSED
    }

    private final Credentials credentials;
    private final LogSpool spool;
    private final LogUplink uplink;
    private final int attempt;
    private final long maxLogBytes;
    private final String label;
    private final Runnable onStale;
    private final BooleanSupplier freeReserve;
    private final AgentClock clock;
    private final OutageLog outage;

    private final Object lock = new Object();
    private final MessageDigest sha;
    private long nextSeq;
    private long acknowledged;
    /** Spool position just after line {@code acknowledged - 1}: where the next batch is read. */
    private long acknowledgedOffset;
    /** nanoTime when the oldest line not yet taken into a batch was appended; 0 when none waits. */
    private long waitingSince;

    private long logBytes;
    private boolean cut;
    private long linesCut;
    private boolean cutNoticeWritten;
    private long linesLost;
    private String lostReason;
    private boolean noSpace;
    private boolean flushing;
    /** The server does not know this attempt's committed count yet: ask before sending (a restarted agent's spool). */
    private boolean probeFirst;

    private volatile int viewers = 1; // until the server says otherwise, someone may be watching from the start
    private State state = State.SHIPPING;
    private Thread sender;
    /** Touched by the sender thread only. */
    private boolean registeredAgain;

    /**
     * @param uplink how the lines reach the server: which attempt they are of, sent with which credential
     * @param spool where the attempt's lines are kept until the server has them
     * @param maxLogBytes where the log is cut with one notice while the task goes on (0: no limit)
     * @param onStale told (on the sender thread) when the server says the attempt is no longer the current one
     * @param freeReserve frees disk space kept for this moment when the spool finds the disk full; true if it did
     * @param clock what lines are stamped with, and the lingers and retries wait on
     */
    public LogShipper(
            LogUplink uplink,
            LogSpool spool,
            long maxLogBytes,
            Runnable onStale,
            BooleanSupplier freeReserve,
            AgentClock clock) {
        this.credentials = uplink.credentials();
        this.spool = spool;
        this.uplink = uplink;
        this.attempt = uplink.attempt();
        this.maxLogBytes = maxLogBytes;
        this.label = "task " + uplink.taskId() + " attempt " + attempt;
        this.onStale = onStale;
        this.freeReserve = freeReserve;
        this.clock = clock;
        this.outage = new OutageLog(log, "log upload for " + label);
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A shipper for a spool an earlier run of the agent left: its lines are the attempt's whole log, and the server is
     * asked what it has before anything is sent.
     */
    public static LogShipper resume(LogUplink uplink, LogSpool spool, Runnable onStale, AgentClock clock)
            throws IOException {
        LogShipper shipper = new LogShipper(uplink, spool, 0, onStale, () -> false, clock);
        long offset = 0;
        long limit = spool.size();
        while (true) {
            LogSpool.Read read = spool.read(offset, limit, MAX_BATCH_LINES, MAX_BATCH_BYTES);
            if (read.lines().isEmpty()) break;
            for (LogLine line : read.lines()) {
                if (line.seq() != shipper.nextSeq)
                    throw new IOException(
                            spool + ": line " + line.seq() + " where " + shipper.nextSeq + " was expected");
                shipper.sha.update(proofBytes(line.line()));
                shipper.nextSeq++;
            }
            offset = read.endOffsets()[read.endOffsets().length - 1];
        }
        shipper.probeFirst = true;
        shipper.waitingSince = clock.nanoTime();
        return shipper;
    }

    /** What the completion proof covers of a line, and what the log limit counts: its UTF-8 and a newline. */
    private static byte[] proofBytes(String text) {
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public void start() {
        sender = Thread.ofPlatform()
                .daemon()
                .name("logs-" + label.replace(' ', '-'))
                .start(this::sendLoop);
    }

    public void append(LogStream stream, String text) {
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            if (cut) {
                linesCut++;
                return;
            }
            byte[] proof = proofBytes(text);
            if (maxLogBytes > 0 && logBytes + proof.length > maxLogBytes) {
                cut = true;
                linesCut++;
                write(
                        LogStream.SYSTEM,
                        "iac-runner: the log reached its limit of " + maxLogBytes + " bytes; further"
                                + " output is not stored (the task goes on)");
                return;
            }
            logBytes += proof.length;
            write(stream, text, proof);
        }
    }

    /** Under the lock: numbers, spools and proves one line, and wakes the sender when a batch may be due. */
    private void write(LogStream stream, String text) {
        write(stream, text, proofBytes(text));
    }

    /** As {@link #write(LogStream, String)}, with {@code proof} = {@link #proofBytes} of {@code text}, encoded once. */
    private void write(LogStream stream, String text, byte[] proof) {
        LogLine line = new LogLine(nextSeq, clock.now(), stream, text);
        try {
            appendToSpool(line);
        } catch (IOException e) {
            // Not spooled, not numbered, not sent: counted apart, so the result says the log is incomplete and why.
            if (linesLost++ == 0) {
                lostReason = NoSpace.causedBy(e)
                        ? "no space left on device for the agent's log spool"
                        : "cannot write the agent's log spool: " + e.getMessage();
                log.error("{}: cannot write the log spool {}: {}; lines are being lost", label, spool, e.toString());
            }
            return;
        }
        sha.update(proof);
        nextSeq++;
        if (waitingSince == 0) waitingSince = clock.nanoTime();
        long waiting = nextSeq - acknowledged;
        if (waiting == 1 || waiting == EAGER_LINES) lock.notifyAll();
    }

    /** Spools the line; on a full disk, frees the reserve once and tries again. */
    private void appendToSpool(LogLine line) throws IOException {
        try {
            spool.append(line);
        } catch (IOException e) {
            if (!NoSpace.causedBy(e)) throw e;
            noSpace = true;
            if (!freeReserve.getAsBoolean()) throw e;
            spool.append(line);
        }
    }

    /** Whether a spool write found the disk full: the attempt then failed for want of space, not for its configuration. */
    public boolean sawNoSpace() {
        synchronized (lock) {
            return noSpace;
        }
    }

    /**
     * The attempt's output is about over (its last Terraform command has ended): what waits goes now, not after the
     * linger, and so does every line from now on, so that the lines travel while the attempt's last reports (its
     * state) do, and {@link #flush()} finds little left to wait for. Returns at once.
     */
    public void sendNow() {
        synchronized (lock) {
            flushing = true;
            lock.notifyAll();
        }
    }

    /**
     * Sends everything at once and blocks until the server has acknowledged every line appended so far, or the
     * attempt's log was refused ({@link #isStale()} tells which). Call after the last {@link #append}; calling it
     * again (after {@link #resync()}) waits again and returns the same proof.
     *
     * @return the completion proof to report with the result
     */
    public Proof flush() throws InterruptedException {
        synchronized (lock) {
            if (linesCut > 0 && state == State.SHIPPING && !cutNoticeWritten) {
                cutNoticeWritten = true;
                write(
                        LogStream.SYSTEM,
                        "iac-runner: " + linesCut + " lines of output after the log limit were not stored");
            }
            flushing = true;
            lock.notifyAll();
            // After a resync the count the server acknowledged is in doubt until it has been asked again.
            while (state == State.SHIPPING && (probeFirst || acknowledged < nextSeq)) lock.wait();
            return new Proof(nextSeq, HexFormat.of().formatHex(digestSoFar()), linesLost, lostReason);
        }
    }

    /** The SHA-256 of the lines so far, leaving the running digest as it is. */
    private byte[] digestSoFar() {
        try {
            return ((MessageDigest) sha.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
        }
    }

    /**
     * The server has fewer lines than it acknowledged ({@code log_gap}, from an upload or from the result): ask it
     * what it has and send the rest again from the spool.
     */
    public void resync() {
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            probeFirst = true;
            lock.notifyAll();
        }
        log.warn(
                "{}: the server lost log lines it had acknowledged; asking what it has and sending the rest again",
                label);
    }

    /**
     * The attempt's reports are dropped (the agent lost its lease): stop sending and let a waiting {@link #flush()}
     * return. Logged quietly: the caller reports the reason once.
     */
    public void abandon(String reason) {
        long unsent;
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            state = State.DROPPED;
            unsent = nextSeq - acknowledged;
            lock.notifyAll();
        }
        log.info("{}: log shipping stopped ({}), {} lines not sent", label, reason, unsent);
    }

    /** Whether shipping was stopped by {@link #abandon} (a shutdown): what is not acknowledged stays in the spool. */
    public boolean isAbandoned() {
        synchronized (lock) {
            return state == State.DROPPED;
        }
    }

    public boolean isStale() {
        synchronized (lock) {
            return state == State.STALE;
        }
    }

    /**
     * Stops the sender and deletes the spool: the attempt is over (reported, refused or dropped). Lines not acknowledged
     * by now are dropped, which after {@link #flush()} is none.
     */
    public void close() {
        stopSending(true);
    }

    /** Stops the sender but keeps the spool, for the next run of the agent to upload (a shutdown mid-recovery). */
    public void closeKeepingSpool() {
        stopSending(false);
    }

    private void stopSending(boolean deleteSpool) {
        long unsent;
        synchronized (lock) {
            unsent = state == State.SHIPPING ? nextSeq - acknowledged : 0;
            if (state == State.SHIPPING) state = State.CLOSED;
            lock.notifyAll();
        }
        if (unsent > 0 && deleteSpool)
            log.warn("{}: closed with {} log lines not acknowledged by the server", label, unsent);
        if (sender != null) {
            sender.interrupt(); // ends a request in flight; nothing is waiting for its reply
            try {
                sender.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        uplink.close();
        if (deleteSpool) spool.delete();
        else spool.close();
    }

    private record Batch(LogBatch wire, long[] endOffsets) {
        long end() {
            return wire.firstSeq() + wire.lines().size();
        }

        /** The spool position after this batch's last line. */
        long endOffset(long startOffset) {
            return endOffsets.length == 0 ? startOffset : endOffsets[endOffsets.length - 1];
        }
    }

    /** A batch sent and not yet acknowledged, with the credential generation it was sent under. */
    private record InFlight(Batch batch, LogUplink.Pending pending, long generation) {}

    /**
     * Sends batches from the spool, up to {@link #BATCHES_IN_FLIGHT} ahead of their acks over the WebSocket, and takes
     * the acks in order. Whatever goes wrong with a batch (a refusal, an outage, an ack short of its end), the batches
     * sent after it are given up and sending starts again from the last acknowledged line: the server skips lines it
     * already has, so nothing is lost or stored twice.
     */
    private void sendLoop() {
        Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY);
        Deque<InFlight> inFlight = new ArrayDeque<>();
        try {
            while (shipping()) {
                int window = uplink.sendsAhead() ? BATCHES_IN_FLIGHT : 1;
                if (inFlight.size() < window) {
                    Batch batch = nextBatch(inFlight.peekLast());
                    if (batch != null) {
                        inFlight.add(new InFlight(batch, uplink.submit(batch.wire()), credentials.generation()));
                        continue;
                    }
                    if (inFlight.isEmpty()) continue; // woken without a batch: stopped, or a flush to look at
                }
                InFlight head = inFlight.peekFirst();
                try {
                    LogAck ack = uplink.await(head.pending());
                    if (ack != null) viewers = Math.max(0, ack.viewers());
                    if (acknowledge(inFlight, ack)) {
                        outage.recovered();
                        backoff.reset();
                        continue;
                    }
                    // Nothing new stored: resending at once would spin; treat it like a failure.
                    outage.failed(new IllegalStateException("the server stored none of the batch starting at "
                            + head.batch().wire().firstSeq() + " (acknowledged "
                            + (ack == null ? "nothing" : ack.committedLines()) + ")"));
                } catch (ApiException e) {
                    if (!shipping() || !mayRetry(e, head.generation())) return;
                }
                giveUp(inFlight);
                pause(backoff.next());
            }
        } catch (IOException e) {
            stop(State.REFUSED, "cannot use the log spool " + spool + ": " + e);
        } catch (InterruptedException e) {
            // close(): nothing left to do.
        }
    }

    /** The batches in flight are dropped; the next is read from the last acknowledged line. */
    private void giveUp(Deque<InFlight> inFlight) {
        if (inFlight.isEmpty()) return;
        inFlight.clear();
        uplink.dropInFlight();
    }

    private boolean shipping() {
        synchronized (lock) {
            return state == State.SHIPPING;
        }
    }

    /**
     * The next batch to send after {@code last} (null: after the last acknowledged line). With nothing in flight it
     * blocks until a batch is due: {@link #EAGER_LINES} lines waiting, the oldest waiting for the linger, or a flush;
     * with batches in flight it returns null at once when none is due, so their acks are taken meanwhile. Null too
     * once stopped.
     */
    private Batch nextBatch(InFlight last) throws InterruptedException, IOException {
        long from;
        long offset;
        long limit;
        long upTo;
        synchronized (lock) {
            if (last != null && probeFirst) return null; // the server's count is asked alone
            from = last == null ? acknowledged : last.batch().end();
            offset = last == null ? acknowledgedOffset : last.batch().endOffset(acknowledgedOffset);
            while (true) {
                if (state != State.SHIPPING) return null;
                if (probeFirst) return new Batch(new LogBatch(attempt, 0, List.of()), new long[0]);
                long waiting = nextSeq - from;
                if (waiting == 0) {
                    if (last != null) return null;
                    lock.wait();
                    continue;
                }
                Duration linger = viewers > 0 ? LINGER_WATCHED : LINGER_UNWATCHED;
                long wait = flushing || waiting >= EAGER_LINES ? 0 : waitingSince + linger.toNanos() - clock.nanoTime();
                if (wait <= 0) break;
                if (last != null) return null;
                clock.waitOn(lock, wait);
            }
            limit = spool.size();
            upTo = nextSeq;
        }
        // Read outside the lock: appends go on meanwhile, past the limit read above.
        LogSpool.Read read = spool.read(offset, limit, (int) Math.min(MAX_BATCH_LINES, upTo - from), MAX_BATCH_BYTES);
        synchronized (lock) {
            // Lines appended after this batch's last one wait from now: conservative, never later than their linger.
            waitingSince = nextSeq > from + read.lines().size() ? clock.nanoTime() : 0;
        }
        return new Batch(new LogBatch(attempt, from, read.lines()), read.endOffsets());
    }

    /**
     * Takes the ack of the oldest batch in flight: drops what the server says it stored; false when that is nothing
     * new. An ack that ends inside a batch (the server stored less than sent) leaves the batches after it to be sent
     * again from there.
     */
    private boolean acknowledge(Deque<InFlight> inFlight, LogAck ack) throws IOException {
        InFlight head = inFlight.pollFirst();
        if (ack == null) return false;
        synchronized (lock) {
            if (state != State.SHIPPING) return false;
            long committed = ack.committedLines();
            if (probeFirst) {
                probeFirst = false;
                if (committed > nextSeq)
                    throw new IOException("the server has " + committed + " lines, the spool " + nextSeq);
                acknowledgedOffset = committed == acknowledged ? acknowledgedOffset : offsetAfter(committed);
                acknowledged = committed;
                log.info(
                        "{}: the server has {} of the spool's {} lines; uploading the rest", label, committed, nextSeq);
                giveUp(inFlight);
                lock.notifyAll();
                return true;
            }
            long first = head.batch().wire().firstSeq();
            if (committed <= acknowledged || committed > nextSeq) return false;
            if (committed <= head.batch().end()) {
                acknowledgedOffset = head.batch().endOffsets()[(int) (committed - first - 1)];
                if (committed < head.batch().end()) giveUp(inFlight);
            } else {
                // The server has lines past this batch: sent ahead on a connection that broke before their acks
                // came, then this batch was sent again. They are the spool's lines, so they count as acknowledged.
                acknowledgedOffset = offsetAfter(acknowledged, acknowledgedOffset, committed);
                giveUp(inFlight);
            }
            acknowledged = committed;
            lock.notifyAll();
            return true;
        }
    }

    /** The spool position after {@code lines} lines (a resumed spool's starting point). */
    private long offsetAfter(long lines) throws IOException {
        return offsetAfter(0, 0, lines);
    }

    /** The spool position after {@code lines} lines, reading on from line {@code read} at position {@code offset}. */
    private long offsetAfter(long read, long offset, long lines) throws IOException {
        while (read < lines) {
            LogSpool.Read page =
                    spool.read(offset, spool.size(), (int) Math.min(MAX_BATCH_LINES, lines - read), MAX_BATCH_BYTES);
            if (page.lines().isEmpty()) throw new IOException(spool + " holds fewer than " + lines + " lines");
            read += page.lines().size();
            offset = page.endOffsets()[page.endOffsets().length - 1];
        }
        return offset;
    }

    private boolean mayRetry(ApiException e, long generation) {
        // Refused under a fresh registration too: the attempt belongs to the agent we were before.
        if (ApiFailures.staleAttempt(e) || (ApiFailures.agentRejected(e) && registeredAgain)) {
            onStale.run(); // before stop() wakes flush(): whoever flushed then already knows
            stop(State.STALE, e.toString());
            return false;
        }
        if (ApiFailures.agentRejected(e)) {
            credentials.renew(generation);
            registeredAgain = true;
            return true;
        }
        if (e.isTransient()) {
            outage.failed(e);
            return true;
        }
        if (ApiFailures.logGap(e)) {
            resync();
            return true;
        }
        stop(State.REFUSED, e.toString()); // a request the server will never take: retrying cannot help
        return false;
    }

    private void stop(State reason, String why) {
        long lost;
        synchronized (lock) {
            if (state != State.SHIPPING) return;
            state = reason;
            lost = nextSeq - acknowledged;
            lock.notifyAll();
        }
        log.error("{}: log shipping stopped, {} lines not stored: {}", label, lost, why);
    }

    private void pause(Duration wait) throws InterruptedException {
        long deadline = clock.nanoTime() + wait.toNanos();
        synchronized (lock) {
            long left;
            while (state == State.SHIPPING && (left = deadline - clock.nanoTime()) > 0) {
                clock.waitOn(lock, left);
            }
        }
    }
}
