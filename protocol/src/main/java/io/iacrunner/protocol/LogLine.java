package io.iacrunner.protocol;

import java.time.Instant;

/**
 * One output line of a task attempt. {@code seq} is 0-based and contiguous per attempt, assigned by the agent only;
 * an offset N means "start at seq N", i.e. N lines already seen.
 */
public record LogLine(long seq, Instant ts, LogStream stream, String line) {
    public String level() {
        return stream.level();
    }
}
