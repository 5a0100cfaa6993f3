package io.iacrunner.server.util;

import io.iacrunner.protocol.RunTime;
import io.iacrunner.server.problems.ApiProblem;
import java.time.Duration;

/** A {@code max_run_time} wherever one is set (a pool, a workspace): read with {@link RunTime}, 400 otherwise. */
public final class RunTimeFormat {
    private RunTimeFormat() {}

    /** The duration, or null when none is given; 400 {@code invalid_max_run_time} naming the field and the rule. */
    public static Duration parse(String value) {
        if (value == null) return null;
        try {
            return RunTime.parse(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid_max_run_time", "max_run_time: " + e.getMessage() + " (1s to 720h)");
        }
    }

    /** Seconds as the wire shows them ({@code 2h}); null stays null. */
    public static String format(Integer seconds) {
        return seconds == null ? null : RunTime.format(Duration.ofSeconds(seconds));
    }
}
