package io.iacrunner.protocol;

/** The server's committed line count for an attempt: every seq below it is stored; the next batch starts there. */
public record LogAck(long committedLines) {}
