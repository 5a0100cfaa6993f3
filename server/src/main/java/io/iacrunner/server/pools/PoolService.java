package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.RunTime;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.server.auth.ApiTokens;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.AgentVersion;
import io.iacrunner.server.util.Labels;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.util.RunTimeFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Pool settings: validated here, stored by {@link PoolStore}. */
public final class PoolService {
    private final PoolStore store;
    private final ApiTokens tokens;

    public PoolService(PoolStore store, ApiTokens tokens) {
        this.store = store;
        this.tokens = tokens;
    }

    /** A new token that can only register agents into this pool. */
    public PoolToken issueToken(String poolId) {
        TokenCreated created = tokens.createPoolToken(get(poolId).poolId(), "agent-pool token for " + poolId);
        return new PoolToken(poolId, created.token(), created.view().tokenId());
    }

    public List<PoolConfig> list() {
        return store.list();
    }

    /** The pools of {@code org} and those the site admin shared with it. */
    public List<PoolConfig> list(String org) {
        return store.list(org);
    }

    public PoolConfig get(String poolId) {
        return store.find(poolId).orElseThrow(() -> ApiProblem.notFound("pool_not_found", "no pool '" + poolId + "'"));
    }

    /** Replaces the pool's settings; a {@code max_run_time} left out is the default ({@link RunTime#POOL_DEFAULT}). */
    public PoolConfig put(String poolId, PoolConfig requested) {
        OrgNames.requireKey(poolId, "invalid_pool_id", "pool ids");
        if (requested.poolId() != null && !requested.poolId().equals(poolId)) {
            throw ApiProblem.badRequest("pool_id_mismatch", "pool_id in the body differs from the path");
        }
        if (requested.maxPlanConcurrency() < 1 || requested.maxPlanConcurrency() > 1000) {
            throw ApiProblem.badRequest("invalid_max_plan_concurrency", "max_plan_concurrency must be 1..1000");
        }
        Map<String, String> labels = Labels.validated(requested.labels());
        if (requested.minAgentVersion() != null
                && !AgentVersion.MINIMUM.matcher(requested.minAgentVersion()).matches()) {
            throw ApiProblem.badRequest(
                    "invalid_min_agent_version",
                    "min_agent_version must be dotted numbers like 1.4 or 1.4.2, got '" + requested.minAgentVersion()
                            + "'");
        }
        if (requested.maxRunning() != null && (requested.maxRunning() < 1 || requested.maxRunning() > 100_000)) {
            throw ApiProblem.badRequest("invalid_max_running", "max_running must be 1..100000 (or left out: none)");
        }
        Duration maxRunTime =
                requested.maxRunTime() == null ? RunTime.POOL_DEFAULT : RunTimeFormat.parse(requested.maxRunTime());
        return store.upsert(new PoolConfig(
                poolId,
                requested.maxPlanConcurrency(),
                requested.allowApplyConcurrent(),
                labels,
                RunTime.format(maxRunTime),
                requested.minAgentVersion(),
                requested.maxRunning()));
    }
}
