package io.iacrunner.protocol;

import java.util.Map;

/**
 * The seed's agent pool settings, and {@code maxRunTime}: how long a run of the pool may take (a duration like
 * {@code 2h}, see {@link RunTime}) before its agent stops it and it ends errored, unless its workspace sets its own;
 * null in a request means the default, {@link RunTime#POOL_DEFAULT}. {@code minAgentVersion}: agents older than this
 * (like {@code 1.4.0}) may neither register nor ping (null: any version). {@code maxRunning}: the most tasks running on
 * all of the pool's agents together (null: no limit beyond each agent's own). The server enforces the limits; agents
 * keep theirs as a second guard.
 */
public record PoolConfig(
        String poolId,
        int maxPlanConcurrency,
        boolean allowApplyConcurrent,
        Map<String, String> labels,
        String maxRunTime,
        String minAgentVersion,
        Integer maxRunning) {

    /** Without a minimum agent version or a pool-wide limit. */
    public PoolConfig(
            String poolId,
            int maxPlanConcurrency,
            boolean allowApplyConcurrent,
            Map<String, String> labels,
            String maxRunTime) {
        this(poolId, maxPlanConcurrency, allowApplyConcurrent, labels, maxRunTime, null, null);
    }

    /** The seed's settings; the run time is the default. */
    public PoolConfig(String poolId, int maxPlanConcurrency, boolean allowApplyConcurrent, Map<String, String> labels) {
        this(poolId, maxPlanConcurrency, allowApplyConcurrent, labels, null);
    }
}
