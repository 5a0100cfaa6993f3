package io.iacrunner.agent.util;

import java.io.IOException;
import java.util.Locale;

/**
 * "No space left on device", however it reaches the agent: in a failed write of its own or in a line Terraform (a
 * provider, a provisioner) printed. Told apart so that a full disk is reported as the agent's failure, not the run's.
 */
public final class NoSpace {
    private static final String MESSAGE = "no space left on device";

    private NoSpace() {}

    /** A line of output says the disk is full. */
    public static boolean saidIn(String line) {
        return line.toLowerCase(Locale.ROOT).contains(MESSAGE);
    }

    /** An I/O failure that is the disk being full. */
    public static boolean causedBy(IOException e) {
        return e.getMessage() != null && saidIn(e.getMessage());
    }
}
