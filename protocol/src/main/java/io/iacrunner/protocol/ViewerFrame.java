package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Server → viewer WebSocket frame. {@code lines}: consecutive stored lines of attempt {@code attempt} (several per
 * frame); when a lost attempt is retried, the next frame carries the new attempt and its lines start again at seq
 * 0. {@code end}: the task is finished and every stored line has been sent. {@code nextOffset} is where a reconnect
 * resumes (in the current attempt).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ViewerFrame(
        String type, Integer attempt, List<LogLine> lines, long nextOffset, TaskStatus status, Integer exitCode) {
    public static final String LINES = "lines";
    public static final String END = "end";

    public static ViewerFrame lines(int attempt, List<LogLine> lines, long nextOffset) {
        return new ViewerFrame(LINES, attempt, lines, nextOffset, null, null);
    }

    public static ViewerFrame end(long nextOffset, TaskStatus status, Integer exitCode) {
        return new ViewerFrame(END, null, null, nextOffset, status, exitCode);
    }
}
