package io.iacrunner.protocol;

import java.util.List;

public record TaskList(List<TaskView> tasks) {}
