package io.iacrunner.protocol;

import java.util.List;

/**
 * The seed's heartbeat fields, and the agent's own: how it isolates its tasks (an agent running with
 * {@code --isolation none} says so on every ping, so the server keeps showing it); {@code diskFull}: its work
 * directory or spool has less free space than its threshold, so it claims nothing until space is freed;
 * {@code planSlots}: how many plans it takes at most right now (its adaptive limit, at most {@code planTaskLimit}),
 * and {@code slotsReason}: why, like {@code "cpu 93 %"} or {@code "memory available 0.4 GiB"} (both null from an
 * agent that does not say). {@code cpuUsage} and {@code memUsage} are fractions (0 to 1) of what the agent may use:
 * its container's limits when it runs in one, else the machine's.
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
        Boolean diskFull,
        Integer planSlots,
        String slotsReason) {

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
                false,
                null,
                null);
    }

    /** Without the adaptive slots: an agent that does not say them. */
    public AgentPing(
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
                isolation,
                diskFull,
                null,
                null);
    }
}
