package io.iacrunner.protocol;

import java.util.List;

public record PullResponse(List<TaskAssignment> tasks) {}
