package io.iacrunner.protocol;

import java.util.List;

/**
 * The seed's heartbeat fields, and two of the agent's own: how it isolates its tasks (an agent running with
 * {@code --isolation none} says so on every ping, so the server keeps showing it), and {@code diskFull}: its work
 * directory or spool has less free space than its threshold, so it claims nothing until space is freed.
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
        Isolation isolation,
        Boolean diskFull) {

    /** Absent in a body (an agent that does not say): not full. */
    public AgentPing {
        diskFull = diskFull != null && diskFull;
    }

    /** The seed's fields only: the isolation is not stated (the server keeps what it knew), the disk not full. */
    public AgentPing(
            String agentId,
            boolean busy,
            int planTasksRunning,
            int planTaskLimit,
            boolean applyTaskRunning,
            List<String> currentTasks,
            double cpuUsage,
            double memUsage,
            String version) {
        this(
                agentId,
                busy,
                planTasksRunning,
                planTaskLimit,
                applyTaskRunning,
                currentTasks,
                cpuUsage,
                memUsage,
                version,
                null,
                false);
    }
}
