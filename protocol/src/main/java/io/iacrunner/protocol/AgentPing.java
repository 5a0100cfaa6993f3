package io.iacrunner.protocol;

import java.util.List;

/**
 * The seed's heartbeat fields, and {@code diskFull}: the agent's work directory or spool has less free space than its
 * threshold, so it claims nothing until space is freed.
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
        Boolean diskFull) {

    /** Absent in a body (an agent that does not say): not full. */
    public AgentPing {
        diskFull = diskFull != null && diskFull;
    }
}
