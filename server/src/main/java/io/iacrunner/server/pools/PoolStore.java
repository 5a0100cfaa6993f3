package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RunTime;
import io.iacrunner.server.util.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about agent pools. */
public final class PoolStore {
    private final Jdbi jdbi;

    public PoolStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<PoolConfig> find(String poolId) {
        return jdbi.withHandle(h -> find(h, poolId));
    }

    public Optional<PoolConfig> find(Handle h, String poolId) {
        return h.createQuery("select * from pools where pool_id = :id")
                .bind("id", poolId)
                .map(PoolStore::map)
                .findOne();
    }

    public List<PoolConfig> list() {
        return jdbi.withHandle(h -> h.createQuery("select * from pools order by pool_id")
                .map(PoolStore::map)
                .list());
    }

    public PoolConfig upsert(PoolConfig pool) {
        return jdbi.withHandle(h -> h.createQuery("""
                        insert into pools (pool_id, max_plan_concurrency, allow_apply_concurrent, labels, max_run_seconds,
                                           min_agent_version, max_running)
                        values (:id, :max, :concurrent, cast(:labels as jsonb), :maxRun, :minVersion, :maxRunning)
                        on conflict (pool_id) do update set max_plan_concurrency = excluded.max_plan_concurrency,
                            allow_apply_concurrent = excluded.allow_apply_concurrent, labels = excluded.labels,
                            max_run_seconds = excluded.max_run_seconds, min_agent_version = excluded.min_agent_version,
                            max_running = excluded.max_running
                        returning *""")
                .bind("id", pool.poolId())
                .bind("max", pool.maxPlanConcurrency())
                .bind("concurrent", pool.allowApplyConcurrent())
                .bind("labels", toJson(pool.labels()))
                .bind("maxRun", (int) RunTime.parse(pool.maxRunTime()).toSeconds())
                .bind("minVersion", pool.minAgentVersion())
                .bind("maxRunning", pool.maxRunning())
                .map(PoolStore::map)
                .one());
    }

    static PoolConfig map(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        return new PoolConfig(
                rs.getString("pool_id"),
                rs.getInt("max_plan_concurrency"),
                rs.getBoolean("allow_apply_concurrent"),
                Rows.labels(rs, "labels"),
                RunTime.format(java.time.Duration.ofSeconds(rs.getInt("max_run_seconds"))),
                rs.getString("min_agent_version"),
                rs.getObject("max_running", Integer.class));
    }

    private static String toJson(Map<String, String> labels) {
        return Rows.json(labels == null ? Map.of() : labels);
    }
}
