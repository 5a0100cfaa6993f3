package io.iacrunner.server.logs;

import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.util.Signals;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Feeds one viewer: stored lines from its offset, then new lines as they are committed, then an end frame. A viewer
 * follows the task's current attempt (and starts again from line 0 of a retried attempt), or one attempt it asked for:
 * an earlier attempt's log is whole, so that viewer gets it and the end frame at once.
 *
 * <p>Every line a viewer gets is read from the store, and a commit only wakes the viewer up. So there is no seam
 * between "history" and "live" where a line could be missed or doubled, and a slow viewer only reads the store more
 * slowly: it holds no buffer that ingestion would have to fill, and never slows the agent or other viewers.
 */
public final class LogViewer {
    /** What the viewer's connection must provide; sends block until the frame is written (natural backpressure). */
    public interface Sink {
        boolean isOpen();

        void send(ViewerFrame frame) throws IOException;
    }

    static final int LINES_PER_FRAME = 1_000;
    private static final Duration IDLE_RECHECK = Duration.ofSeconds(5);

    private final TaskStore tasks;
    private final LogStore logs;
    private final Signals<String> taskSignals;

    public LogViewer(TaskStore tasks, LogStore logs, Signals<String> taskSignals) {
        this.tasks = tasks;
        this.logs = logs;
        this.taskSignals = taskSignals;
    }

    /**
     * @param attempt the attempt to show, 0 to follow the current one; already checked to be one the task had
     */
    public void stream(String taskId, int attempt, long offset, Sink sink) throws IOException, InterruptedException {
        try (Signals<String>.Watch watch = taskSignals.watch(taskId)) {
            stream(taskId, attempt, offset, sink, watch);
        }
    }

    private void stream(String taskId, int pinned, long offset, Sink sink, Signals<String>.Watch watch)
            throws IOException, InterruptedException {
        long cursor = offset;
        int attempt = pinned == 0 ? -1 : pinned;
        while (sink.isOpen()) {
            long seen = watch.version();
            // Status before lines: if the task had ended when we looked, every line it will ever have was committed
            // before that, so an empty read below really is the end.
            TaskView task = tasks.find(taskId).orElseThrow(() -> new IOException("task " + taskId + " vanished"));
            if (pinned == 0) {
                if (attempt >= 1 && task.attempt() != attempt) cursor = 0; // a retried attempt has a log of its own
                if (task.attempt() >= 1) attempt = task.attempt();
            }
            List<LogLine> lines = attempt < 1 ? List.of() : logs.read(taskId, attempt, cursor, LINES_PER_FRAME);
            if (!lines.isEmpty()) {
                cursor += lines.size();
                sink.send(ViewerFrame.lines(attempt, lines, cursor));
                continue;
            }
            // Planned too: the plan's log is whole, and the apply (if confirmed) comes as a new attempt. An attempt
            // asked for by number is whole once a later one has started: nothing more is stored for it.
            if (task.status().isSettled() || (pinned != 0 && task.attempt() != pinned)) {
                sink.send(ViewerFrame.end(cursor, task.status(), task.exitCode()));
                return;
            }
            watch.awaitChange(seen, IDLE_RECHECK);
        }
    }
}
