package io.iacrunner.protocol;

import java.util.List;

/** Claimed tasks, and cancel orders for tasks the agent runs (the pull channel carries them as well as pings). */
public record PullResponse(List<TaskAssignment> tasks, List<CancelOrder> cancel) {}
