package io.iacrunner.server.logs;

import io.iacrunner.protocol.LogLine;
import io.iacrunner.server.tasks.TaskStore.RunningAttempt;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about stored log lines, kept as chunks of consecutive lines per task attempt. */
public final class LogStore {
    private final Jdbi jdbi;

    public LogStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Stores {@code count} consecutive lines of the attempt's log from seq {@code firstSeq}, {@code chunk} being their
     * {@link LogChunkCodec#encode encoded} form, only while it is still the running attempt (its own SQL checks): 409
     * {@code stale_attempt}, storing nothing, once it has been superseded.
     */
    public void appendChunk(Handle h, RunningAttempt attempt, long firstSeq, int count, String chunk) {
        attempt.requireWritten(attempt.fenced(h.createUpdate("""
                        insert into log_chunks (task_id, attempt, first_seq, line_count, lines)
                        select task_id, attempt, :first, :count, :lines from tasks where <still_running>"""))
                .bind("first", firstSeq)
                .bind("count", count)
                .bind("lines", chunk)
                .execute());
    }

    /**
     * Up to {@code max} lines of one attempt starting at seq {@code from}, in order. Seqs are contiguous (the append
     * path refuses gaps), so the chunks holding them are exactly those that start before {@code from + max}: only
     * those are read, not every chunk after {@code from} (a replay of a long log read the rest of it for each frame).
     */
    public List<LogLine> read(String taskId, int attempt, long from, int max) {
        record Chunk(long firstSeq, String lines) {}
        List<Chunk> chunks = jdbi.withHandle(h -> h.createQuery("""
                        select first_seq, lines from log_chunks
                        where task_id = :t and attempt = :a and first_seq < :end and first_seq >= coalesce(
                            (select max(first_seq) from log_chunks
                             where task_id = :t and attempt = :a and first_seq <= :from), 0)
                        order by first_seq limit :chunks""")
                .bind("t", taskId)
                .bind("a", attempt)
                .bind("from", from)
                .bind("end", from + max)
                .bind("chunks", Math.min(max, 256))
                .map((rs, ctx) -> new Chunk(rs.getLong("first_seq"), rs.getString("lines")))
                .list());
        List<LogLine> out = new ArrayList<>();
        for (Chunk chunk : chunks) {
            for (LogLine line : LogChunkCodec.decode(chunk.firstSeq(), chunk.lines())) {
                if (line.seq() < from) continue;
                if (out.size() == max) return out;
                out.add(line);
            }
        }
        return out;
    }
}
