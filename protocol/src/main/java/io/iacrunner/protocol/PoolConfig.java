package io.iacrunner.protocol;

import java.util.Map;

/**
 * The seed's agent pool settings, and {@code maxRunTime}: how long a run of the pool may take (a duration like
 * {@code 2h}, see {@link RunTime}) before its agent stops it and it ends errored, unless its workspace sets its own;
 * null in a request means the default, {@link RunTime#POOL_DEFAULT}. The server enforces the limits; agents keep them
 * as a second guard.
 */
public record PoolConfig(
        String poolId,
        int maxPlanConcurrency,
        boolean allowApplyConcurrent,
        Map<String, String> labels,
        String maxRunTime) {

    /** The seed's settings; the run time is the default. */
    public PoolConfig(String poolId, int maxPlanConcurrency, boolean allowApplyConcurrent, Map<String, String> labels) {
        this(poolId, maxPlanConcurrency, allowApplyConcurrent, labels, null);
    }
}
