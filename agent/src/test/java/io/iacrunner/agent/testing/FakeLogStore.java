package io.iacrunner.agent.testing;

import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.testing.FakeServer.Request;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's log endpoint as specified: stores lines per task from its committed count on, skips lines it has,
 * refuses a gap with 409 {@code log_gap}. Faults on demand: outages (503), lost replies (stored, then 503), partial
 * acknowledgement, a fixed refusal. Records what it saw so tests can check the shipper's discipline.
 */
public final class FakeLogStore implements FakeServer.Handler {
    private final Map<String, List<LogLine>> stored = new HashMap<>();
    public final List<LogBatch> batches = new CopyOnWriteArrayList<>();
    public final List<Integer> requestBytes = new CopyOnWriteArrayList<>();
    public final List<String> violations = new CopyOnWriteArrayList<>();
    public final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** The next this many requests fail with 503 without storing anything. */
    public final AtomicInteger outage = new AtomicInteger();
    /** Every other request is stored but its reply lost (503), as when a connection drops after the commit. */
    public volatile boolean loseEveryOtherReply;
    /** At most this many new lines are stored per request. */
    public volatile int storeAtMost = Integer.MAX_VALUE;
    /** What every ack says about viewers. */
    public volatile int viewers;
    /** Answers every request with this instead of storing. */
    public volatile Reply refusal;

    private final AtomicInteger replies = new AtomicInteger();

    @Override
    public Reply handle(Request request) throws Exception {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            // Real time on purpose: holding each request a moment widens the window in which a second one, sent before
            // this one's reply, would overlap it (maxInFlight shows it). No clock can stand in for a race.
            Thread.sleep(3);
            LogBatch batch = request.as(LogBatch.class);
            batches.add(batch);
            requestBytes.add(request.bodyBytes());
            for (int i = 0; i < batch.lines().size(); i++) {
                if (batch.lines().get(i).seq() != batch.firstSeq() + i) {
                    violations.add("batch at " + batch.firstSeq() + " has seq "
                            + batch.lines().get(i).seq() + " at index " + i);
                }
            }
            if (refusal != null) return refusal;
            if (outage.getAndUpdate(n -> Math.max(0, n - 1)) > 0) return Reply.error(503, "unavailable", "restarting");
            long committed;
            synchronized (this) {
                List<LogLine> lines =
                        stored.computeIfAbsent(request.pathParameter(ApiPaths.TASK_LOGS), k -> new ArrayList<>());
                if (batch.firstSeq() > lines.size()) {
                    return Reply.error(409, "log_gap", "first_seq " + batch.firstSeq() + " is beyond " + lines.size());
                }
                int taken = 0;
                for (LogLine line : batch.lines()) {
                    if (line.seq() < lines.size()) continue;
                    if (taken == storeAtMost) break;
                    lines.add(line);
                    taken++;
                }
                committed = lines.size();
            }
            if (loseEveryOtherReply && replies.getAndIncrement() % 2 == 0) {
                return Reply.error(503, "unavailable", "reply lost");
            }
            return Reply.ok(new LogAck(committed, viewers));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** The store loses its last {@code count} lines of the task, as a store restored from an older backup would. */
    public synchronized void loseLastLines(String taskId, int count) {
        List<LogLine> lines = stored.get(taskId);
        lines.subList(lines.size() - count, lines.size()).clear();
    }

    public synchronized List<LogLine> stored(String taskId) {
        return List.copyOf(stored.getOrDefault(taskId, List.of()));
    }

    /** Stored line texts with Terraform's colour codes removed. */
    public List<String> plainText(String taskId) {
        return stored(taskId).stream()
                .map(l -> l.line().replaceAll("\u001B\\[[0-9;]*m", ""))
                .toList();
    }

    public int linesSent() {
        return batches.stream().mapToInt(b -> b.lines().size()).sum();
    }
}
