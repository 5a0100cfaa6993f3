package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What the tests of live viewing check: a viewer got the stored log, every line once and in order. */
final class LogChecks {
    private LogChecks() {}

    static TaskView task(ApiClient admin, String id) {
        return admin.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    /** The stored log, line by line. */
    static List<String> storedLines(ApiClient admin, String id) {
        String text = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, id));
        if (text.isEmpty()) return List.of();
        assertThat(text).as("the text download ends with a newline").endsWith("\n");
        return Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
    }

    static List<LogLine> linesOf(List<ViewerFrame> frames) {
        List<LogLine> lines = new ArrayList<>();
        for (ViewerFrame frame : frames) {
            if (!ViewerFrame.LINES.equals(frame.type())) continue;
            assertThat(frame.attempt()).as("attempt of a frame").isEqualTo(1);
            assertThat(frame.lines()).as("lines of a lines frame").isNotNull();
            lines.addAll(frame.lines());
        }
        return lines;
    }

    static List<String> texts(List<LogLine> lines) {
        return lines.stream().map(LogLine::line).toList();
    }

    /** Seqs {@code from}, {@code from + 1}, … with none missing, doubled or out of order. */
    static void assertContiguousFrom(long from, List<LogLine> lines, String what) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).seq() != from + i) {
                throw new AssertionError(what + ": at index " + i + " expected seq " + (from + i) + " but got "
                        + lines.get(i).seq() + " (" + lines.size() + " lines; around it: "
                        + lines.subList(Math.max(0, i - 2), Math.min(lines.size(), i + 3)).stream()
                                .map(LogLine::seq)
                                .toList()
                        + ")");
            }
        }
    }

    /**
     * What a viewer got is the whole stored log: seq 0..N-1, each once and in order, each line's text that stored line,
     * N the task's {@code log_lines}, and the task's log proven complete.
     */
    static void assertEveryStoredLineOnceInOrder(ApiClient admin, String id, List<LogLine> lines) {
        assertContiguousFrom(0, lines, "the viewer's lines");
        List<String> stored = storedLines(admin, id);
        List<String> got = texts(lines);
        for (int i = 0; i < Math.min(got.size(), stored.size()); i++) {
            if (!got.get(i).equals(stored.get(i))) {
                throw new AssertionError("line seq " + i + " differs: viewer got <" + got.get(i) + "> but stored is <"
                        + stored.get(i) + ">");
            }
        }
        assertThat(got.size()).as("lines the viewer got vs lines stored").isEqualTo(stored.size());
        TaskView task = task(admin, id);
        assertThat(task.status().isTerminal()).as("task %s has ended", id).isTrue();
        assertThat(task.logLines()).as("log_lines").isEqualTo(lines.size());
        assertThat(task.logComplete()).as("log_complete").isTrue();
    }
}
