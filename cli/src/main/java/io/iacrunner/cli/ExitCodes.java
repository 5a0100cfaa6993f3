package io.iacrunner.cli;

/** The exit statuses of {@code iac}; scripts and the acceptance tests depend on them. */
public final class ExitCodes {
    private ExitCodes() {}

    /** Done; for {@code logs}: the task succeeded. */
    public static final int OK = 0;
    /** {@code logs}: the task ended failed, canceled, errored or discarded. */
    public static final int TASK_FAILED = 1;
    /** Bad arguments or unusable input files. */
    public static final int USAGE = 2;
    /** {@code logs} without {@code --follow}: the task is still queued or running. */
    public static final int STILL_RUNNING = 3;
    /** The server refused the request or could not be reached. */
    public static final int API_ERROR = 4;
    /**
     * The server or agent could not start, a running server lost its embedded PostgreSQL for good (it could not be
     * restarted), or a bug in iac itself.
     */
    public static final int INTERNAL = 5;
    /** {@code logs}: the task planned and its plan waits for confirmation ({@code task confirm} or {@code discard}). */
    public static final int AWAITING_CONFIRMATION = 6;
}
