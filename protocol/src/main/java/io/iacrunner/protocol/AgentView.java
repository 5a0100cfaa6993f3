package io.iacrunner.protocol;

import java.time.Instant;
import java.util.List;

/**
 * An agent as clients see it; {@code status} is idle, busy or offline; {@code isolation} how it isolates its tasks
 * ({@code none}: without a sandbox, its tasks can read its credentials; null: an agent too old to say);
 * {@code diskFull}: its last ping said it is short of disk space and claims nothing.
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
        boolean diskFull) {}
