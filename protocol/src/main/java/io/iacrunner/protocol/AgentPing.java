package io.iacrunner.protocol;

import java.util.List;

/** The seed's heartbeat fields, unchanged. */
public record AgentPing(
        String agentId,
        boolean busy,
        int planTasksRunning,
        int planTaskLimit,
        boolean applyTaskRunning,
        List<String> currentTasks,
        double cpuUsage,
        double memUsage,
        String version) {}
