package io.iacrunner.protocol;

import java.util.Map;

/** The seed's agent pool settings. The server enforces them; agents keep them as a second guard. */
public record PoolConfig(
        String poolId, int maxPlanConcurrency, boolean allowApplyConcurrent, Map<String, String> labels) {}
