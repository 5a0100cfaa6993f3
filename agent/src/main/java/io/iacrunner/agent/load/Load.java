package io.iacrunner.agent.load;

/**
 * One reading of the agent's load, measured against what the agent may use: its container's CPU quota and memory
 * limit when it runs in one, else the machine's.
 *
 * @param cpuBusy share of the usable CPU time that was used since the last reading (0 to 1); -1 when not known yet
 * @param cpuWaiting share of the time during which some task waited for a CPU (Linux pressure stall information,
 *     "some"); -1 where the kernel does not tell. Unlike {@code cpuBusy} it tells two plans on two cores (none waits)
 *     from eight (most wait).
 * @param memAvailable bytes that can still be used without swapping or being killed: the limit less what is in use,
 *     page cache that can be dropped not counted as in use
 * @param memLimit the memory limit in bytes (the container's, else the machine's total)
 */
public record Load(double cpuBusy, double cpuWaiting, long memAvailable, long memLimit) {
    static final double UNKNOWN = -1;

    /** Used memory as a fraction of the limit, for the ping's {@code mem_usage}. */
    public double memUsage() {
        return memLimit <= 0 ? 0 : Math.clamp(1 - (double) memAvailable / memLimit, 0, 1);
    }

    /** {@code cpuBusy}, 0 while not known: for the ping's {@code cpu_usage}. */
    public double cpuUsage() {
        return Math.max(0, cpuBusy);
    }
}
