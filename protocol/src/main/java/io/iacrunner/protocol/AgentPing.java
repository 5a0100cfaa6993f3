package io.iacrunner.protocol;

import java.util.List;

/**
 * The seed's heartbeat fields, and how the agent isolates its tasks: an agent running with {@code --isolation none}
 * says so on every ping, so the server keeps showing it.
 */
public record AgentPing(
        String agentId,
        boolean busy,
        int planTasksRunning,
        int planTaskLimit,
        boolean applyTaskRunning,
        List<String> currentTasks,
        double cpuUsage,
        double memUsage,
        String version,
        Isolation isolation) {

    /** The seed's fields only: the isolation is not stated (the server keeps what it knew). */
    public AgentPing(String agentId, boolean busy, int planTasksRunning, int planTaskLimit, boolean applyTaskRunning,
            List<String> currentTasks, double cpuUsage, double memUsage, String version) {
        this(agentId, busy, planTasksRunning, planTaskLimit, applyTaskRunning, currentTasks, cpuUsage, memUsage, version, null);
    }
}
