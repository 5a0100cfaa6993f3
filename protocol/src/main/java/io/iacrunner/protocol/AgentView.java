package io.iacrunner.protocol;

import java.time.Instant;
import java.util.List;

/**
 * An agent as clients see it; {@code status} is idle, busy or offline; {@code isolation} how it isolates its tasks
 * ({@code none}: without a sandbox, its tasks can read its credentials; null: an agent too old to say);
 * {@code diskFull}: its last ping said it is short of disk space and claims nothing. From its last ping (null before
 * one, or from an agent that does not say): {@code cpuUsage} and {@code memUsage} (fractions of what it may use),
 * {@code planLimit} (the most plans it may run), {@code planSlots} (how many it takes now, adapted to its load) and
 * {@code slotsReason}, {@code plansRunning} and {@code applyRunning}.
 */
public record AgentView(
        String agentId,
        String name,
        String poolId,
        String status,
        Instant lastSeen,
        List<String> runningTasks,
        String version,
        Isolation isolation,
        boolean diskFull,
        Double cpuUsage,
        Double memUsage,
        Integer planLimit,
        Integer planSlots,
        String slotsReason,
        Integer plansRunning,
        Boolean applyRunning) {}
