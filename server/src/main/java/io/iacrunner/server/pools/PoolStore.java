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

    /**
     * Creates or replaces the pool. A new pool is granted to every workspace of its organisation (the site admin
     * shares it with others: {@code POST /pools/{id}/shares}).
     */
    public PoolConfig upsert(PoolConfig pool) {
        return jdbi.inTransaction(h -> upsert(h, pool));
    }

    /** The pools of {@code org} and those shared with it. */
    public List<PoolConfig> list(String org) {
        return jdbi.withHandle(
                h -> h.createQuery("""
                        select * from pools p where p.org_id = :o
                           or exists (select 1 from pool_grants g where g.pool_id = p.pool_id and g.org_id = :o)
                        order by pool_id""").bind("o", org).map(PoolStore::map).list());
    }

    private PoolConfig upsert(Handle h, PoolConfig pool) {
        PoolConfig stored = h.createQuery("""
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
                .one();
        h.createUpdate("""
                        insert into pool_grants (pool_id, org_id) select :id, iac_org_of(:id)
                        where not exists (select 1 from pool_grants where pool_id = :id)""").bind("id", pool.poolId()).execute();
        return stored;
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
