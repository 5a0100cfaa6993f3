package io.iacrunner.cli;

import io.iacrunner.protocol.RunTime;

/** A {@code --max-run-time} value, checked before anything is sent: the server would refuse it anyway. */
final class RunTimeOption {
    private RunTimeOption() {}

    /** The duration in its shortest spelling; a usage error (exit 2) naming the option otherwise. */
    static String parse(String value, String option) {
        try {
            return RunTime.format(RunTime.parse(value));
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage() + " (1s to 720h)");
        }
    }
}
