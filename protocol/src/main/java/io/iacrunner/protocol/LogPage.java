package io.iacrunner.protocol;

import java.util.List;

/** A page of stored lines: {@code nextOffset} is where the following page starts. */
public record LogPage(String taskId, long offset, long nextOffset, List<LogLine> lines, TaskStatus taskStatus) {}
