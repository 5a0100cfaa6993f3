package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Server → viewer WebSocket frame. {@code lines}: consecutive stored lines (several per frame); {@code end}: the
 * task is finished and every stored line has been sent; {@code nextOffset} is where a reconnect resumes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ViewerFrame(String type, List<LogLine> lines, long nextOffset, TaskStatus status, Integer exitCode) {
    public static final String LINES = "lines";
    public static final String END = "end";

    public static ViewerFrame lines(List<LogLine> lines, long nextOffset) {
        return new ViewerFrame(LINES, lines, nextOffset, null, null);
    }

    public static ViewerFrame end(long nextOffset, TaskStatus status, Integer exitCode) {
        return new ViewerFrame(END, null, nextOffset, status, exitCode);
    }
}
