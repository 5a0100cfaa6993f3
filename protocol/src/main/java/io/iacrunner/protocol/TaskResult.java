package io.iacrunner.protocol;

/**
 * Agent → server: how the attempt ended, with the completion proof of its log: {@code logLines} is the count of lines
 * the agent kept (spooled) and delivers, and {@code logSha256} the SHA-256 of those lines, each followed by a newline,
 * in UTF-8. The server accepts the result only once it holds that many lines ({@code 409 log_gap} otherwise, so the
 * agent resends), and marks the log complete when count and digest match and no line was lost.
 *
 * @param terraformKilled Terraform did not end on its own (killed after a cancel's grace, a forced cancel, a timeout):
 *     an apply may then have changed resources that its state does not record
 * @param logLinesLost lines the agent could not keep (say, no space left for its spool); the log is then incomplete
 * @param logLostReason why those lines are gone (null when none are)
 */
public record TaskResult(
        int attempt,
        TaskStatus status,
        Integer exitCode,
        String message,
        long logLines,
        String logSha256,
        Boolean terraformKilled,
        Long logLinesLost,
        String logLostReason)
        implements AttemptUpload {

    /** Absent in a body (a client that knows nothing of them): Terraform ended by itself, no line was lost. */
    public TaskResult {
        terraformKilled = terraformKilled != null && terraformKilled;
        logLinesLost = logLinesLost == null ? 0L : logLinesLost;
    }

    /** A result whose Terraform ended by itself and whose every line was kept. */
    public TaskResult(
            int attempt, TaskStatus status, Integer exitCode, String message, long logLines, String logSha256) {
        this(attempt, status, exitCode, message, logLines, logSha256, false, 0L, null);
    }
}
