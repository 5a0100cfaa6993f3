package io.iacrunner.server.logs;

import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.tasks.LogDigest;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.util.Signals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one append path for log lines, and reads for replay. Appends are idempotent: a batch may start before the
 * committed count (those lines are skipped, a retry after a lost reply is harmless) but never after it (a gap would
 * lose lines, so it is refused with the count the sender must resume from).
 */
public final class LogService {
    public static final int MAX_BATCH_LINES = 5_000;
    public static final int MAX_LINE_CHARS = 64 * 1024;
    static final String CUT_MARKER = " [iac-runner: line cut at " + MAX_LINE_CHARS + " characters]";

    private static final int REDACTORS_CACHED = 1_000;

    private final TaskStore tasks;
    private final LogStore logs;
    private final Signals<String> taskSignals;
    private final ViewerRegistry viewers;
    /** Per task: its secrets do not change, and appends come many times a second. */
    private final Map<String, SecretRedactor> redactors =
            Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, SecretRedactor> eldest) {
                    return size() > REDACTORS_CACHED;
                }
            });

    private final Counter linesIngested;
    private final Counter bytesIngested;

    public LogService(
            TaskStore tasks,
            LogStore logs,
            Signals<String> taskSignals,
            ViewerRegistry viewers,
            MeterRegistry metrics) {
        this.tasks = tasks;
        this.logs = logs;
        this.taskSignals = taskSignals;
        this.viewers = viewers;
        this.linesIngested = Counter.builder("iac.log.ingested.lines")
                .description("Log lines newly stored by this replica")
                .register(metrics);
        this.bytesIngested = Counter.builder("iac.log.ingested")
                .baseUnit("bytes")
                .description("UTF-8 bytes of the log lines newly stored by this replica, a newline counted per line")
                .register(metrics);
        Gauge.builder("iac.log.viewers", viewers, ViewerRegistry::localTotal)
                .description("Live log viewers connected to this replica")
                .register(metrics);
    }

    /**
     * A batch checked and cleaned ({@link #check}), ready to store: {@code chunk} is its lines' stored form, encoded
     * here once, outside the transaction that holds the task row's lock (and not again when a group is retried).
     */
    public record CheckedBatch(int attempt, long firstSeq, List<LogLine> lines, String chunk) {}

    /**
     * Validates and cleans a batch (contiguous seqs, NULs, overlong lines, masking of the task's secrets) and encodes
     * its chunk without touching the store: an agent's WebSocket does this for the next batch while earlier ones are
     * being written.
     */
    public CheckedBatch check(String taskId, LogBatch batch) {
        List<LogLine> lines = validated(batch, redactor(taskId));
        return new CheckedBatch(batch.attempt(), batch.firstSeq(), lines, LogChunkCodec.encode(lines));
    }

    public LogAck append(String taskId, String agentId, LogBatch batch) {
        return appendAll(taskId, agentId, List.of(check(taskId, batch))).getFirst();
    }

    /**
     * Stores consecutive checked batches of one attempt in one transaction (one lock of the task row, one count
     * update, one commit) and answers each with its own ack, in order. Each batch is handled as {@link #append}
     * would: lines before the committed count are skipped, a batch that starts past it is refused (409 {@code
     * log_gap}) and then nothing of the group is stored; a caller that needs the batches before it stored retries
     * them one by one.
     */
    public List<LogAck> appendAll(String taskId, String agentId, List<CheckedBatch> batches) {
        int attemptNo = batches.getFirst().attempt();
        for (CheckedBatch b : batches) {
            if (b.attempt() != attemptNo) throw new IllegalArgumentException("batches of different attempts");
        }
        List<Long> committedAfter = new ArrayList<>(batches.size());
        List<LogLine> stored = new ArrayList<>();
        tasks.useAttempt(taskId, agentId, attemptNo, (h, attempt) -> {
            committedAfter.clear();
            stored.clear();
            long have = attempt.logLines();
            for (CheckedBatch batch : batches) {
                if (batch.firstSeq() > have) {
                    throw ApiProblem.conflict(
                            ErrorCodes.LOG_GAP,
                            "batch starts at seq " + batch.firstSeq() + " but the server has " + have
                                    + " lines; resend from seq " + have);
                }
                int skip = (int) Math.min(batch.lines().size(), have - batch.firstSeq());
                List<LogLine> fresh = batch.lines().subList(skip, batch.lines().size());
                if (!fresh.isEmpty()) {
                    // Only a resent batch overlapping what is stored needs its remainder encoded again.
                    logs.appendChunk(
                            h, attempt, have, fresh.size(), skip == 0 ? batch.chunk() : LogChunkCodec.encode(fresh));
                    have += fresh.size();
                    stored.addAll(fresh);
                }
                committedAfter.add(have);
            }
            if (have != attempt.logLines()) tasks.setLogLines(h, attempt, have);
        });
        linesIngested.increment(stored.size());
        bytesIngested.increment(stored.stream()
                .mapToLong(l -> l.line().getBytes(StandardCharsets.UTF_8).length + 1L)
                .sum());
        taskSignals.signal(taskId);
        int watching = viewers.count(taskId);
        List<LogAck> acks = new ArrayList<>(batches.size());
        for (long committed : committedAfter) acks.add(new LogAck(committed, watching));
        return acks;
    }

    /** Recomputes the completion proof from the store, page by page. */
    public LogDigest digest(String taskId, int attempt) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long next = 0;
        while (true) {
            List<LogLine> page = logs.read(taskId, attempt, next, 5_000);
            if (page.isEmpty()) return new LogDigest(next, HexFormat.of().formatHex(sha.digest()));
            for (LogLine line : page) sha.update((line.line() + "\n").getBytes(StandardCharsets.UTF_8));
            next += page.size();
        }
    }

    private SecretRedactor redactor(String taskId) {
        SecretRedactor cached = redactors.get(taskId);
        if (cached != null) return cached;
        SecretRedactor made = tasks.secrets(taskId)
                .map(s -> SecretRedactor.of(s.variables(), s.sensitiveNames()))
                .orElse(SecretRedactor.NONE);
        redactors.put(taskId, made);
        return made;
    }

    /**
     * A page of one attempt's log from seq {@code offset}: {@code attempt} 0 is the current one. Every attempt keeps
     * its own log, so an earlier attempt (its agent lost, say) stays readable whole after a retry.
     */
    public LogPage page(TaskView task, int attempt, long offset, int limit) {
        if (offset < 0) throw ApiProblem.badRequest("invalid_offset", "offset must be >= 0");
        if (limit < 1 || limit > 10_000) throw ApiProblem.badRequest("invalid_limit", "limit must be 1..10000");
        int which = attempt(task, attempt);
        List<LogLine> lines = which == 0 ? List.of() : logs.read(task.taskId(), which, offset, limit);
        return new LogPage(task.taskId(), offset, offset + lines.size(), lines, task.status());
    }

    /** Every stored line of one attempt ({@code attempt} 0: the current one), in order, handed out page by page. */
    public void forEachLine(TaskView task, int attempt, Consumer<LogLine> sink) {
        int which = attempt(task, attempt);
        long next = 0;
        while (which > 0) {
            List<LogLine> page = logs.read(task.taskId(), which, next, 5_000);
            if (page.isEmpty()) return;
            page.forEach(sink);
            next += page.size();
        }
    }

    /** The attempt asked for: 0 means the current one; one the task never had is 400 {@code invalid_attempt}. */
    private static int attempt(TaskView task, int attempt) {
        if (attempt == 0) return task.attempt();
        if (attempt < 0 || attempt > task.attempt()) {
            throw ApiProblem.badRequest(
                    "invalid_attempt",
                    "task " + task.taskId() + " has "
                            + (task.attempt() == 0 ? "no attempt yet" : "attempts 1 to " + task.attempt())
                            + "; attempt " + attempt + " does not exist");
        }
        return attempt;
    }

    private static List<LogLine> validated(LogBatch batch, SecretRedactor redactor) {
        if (batch.lines() == null) throw ApiProblem.badRequest("missing_lines", "lines is required (it may be empty)");
        if (batch.firstSeq() < 0) throw ApiProblem.badRequest("invalid_first_seq", "first_seq must be >= 0");
        if (batch.lines().size() > MAX_BATCH_LINES) {
            throw ApiProblem.badRequest("batch_too_large", "at most " + MAX_BATCH_LINES + " lines per batch");
        }
        List<LogLine> out = new ArrayList<>(batch.lines().size());
        long expected = batch.firstSeq();
        for (LogLine line : batch.lines()) {
            if (line == null || line.line() == null || line.stream() == null) {
                throw ApiProblem.badRequest("invalid_line", "every line needs seq, stream and line");
            }
            if (line.seq() != expected) {
                throw ApiProblem.badRequest(
                        "non_contiguous_batch",
                        "line seq " + line.seq() + " where " + expected
                                + " was expected: a batch is consecutive lines");
            }
            expected++;
            String text = redactor.redact(clean(line.line()));
            out.add(
                    line.ts() != null && text.equals(line.line())
                            ? line
                            : new LogLine(
                                    line.seq(), line.ts() == null ? Instant.now() : line.ts(), line.stream(), text));
        }
        return out;
    }

    /** PostgreSQL text cannot hold NUL, and one runaway line must not become a huge row. */
    static String clean(String text) {
        String s = text.indexOf('\0') >= 0 ? text.replace('\0', '\uFFFD') : text;
        return s.length() > MAX_LINE_CHARS ? s.substring(0, MAX_LINE_CHARS) + CUT_MARKER : s;
    }
}
