package io.iacrunner.protocol;

import java.util.List;

/**
 * Agent → server: consecutive lines of one attempt, starting at {@code firstSeq}. The server skips lines it already
 * has, refuses a gap, and answers with a {@link LogAck}.
 */
public record LogBatch(int attempt, long firstSeq, List<LogLine> lines) implements AttemptUpload {}
