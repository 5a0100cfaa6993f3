package io.iacrunner.protocol;

/**
 * The server's committed line count for an attempt: every seq below it is stored; the next batch starts there.
 * {@code viewers} is how many people watch the task live right now ({@code stream_mode=auto}): with viewers the
 * agent flushes within about 50 ms, without them it batches for about a second. Persistence is the same either way.
 */
public record LogAck(long committedLines, int viewers) {}
