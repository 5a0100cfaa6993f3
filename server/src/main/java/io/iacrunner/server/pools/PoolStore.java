package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolGrantList;
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
                .map((rs, ctx) -> row(rs))
                .findOne();
    }

    /** The pool of a registered agent, in one round trip (every pull asks). */
    public Optional<PoolConfig> ofAgent(String agentId) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select p.* from agents a join pools p on p.pool_id = a.pool_id where a.agent_id = :a")
                .bind("a", agentId)
                .map((rs, ctx) -> row(rs))
                .findOne());
    }

    public List<PoolConfig> list() {
        return jdbi.withHandle(h -> h.createQuery("select * from pools order by pool_id")
                .map((rs, ctx) -> row(rs))
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
                        order by pool_id""").bind("o", org).map((rs, ctx) -> row(rs)).list());
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
                .map((rs, ctx) -> row(rs))
                .one();
        h.createUpdate("""
                        insert into pool_grants (pool_id, org_id) select :id, iac_org_of(:id)
                        where not exists (select 1 from pool_grants where pool_id = :id)""").bind("id", pool.poolId()).execute();
        return stored;
    }

    /** The pool's grants, by organisation then workspace key (null: every workspace of the organisation). */
    public List<PoolGrantList.Grant> grants(Handle h, String poolId) {
        return h.createQuery("""
                        select org_id, workspace_id from pool_grants where pool_id = :p
                        order by org_id, workspace_id nulls first""")
                .bind("p", poolId)
                .map((rs, ctx) -> new PoolGrantList.Grant(rs.getString("org_id"), rs.getString("workspace_id")))
                .list();
    }

    /** Whether the pool serves any workspace of {@code org}: its own organisation's, or one it was shared with. */
    boolean grantedTo(Handle h, String poolId, String org) {
        return h.createQuery("select exists (select 1 from pool_grants where pool_id = :p and org_id = :o)")
                .bind("p", poolId)
                .bind("o", org)
                .mapTo(Boolean.class)
                .one();
    }

    /** The keys among {@code workspaceKeys} that name no workspace. */
    List<String> missingWorkspaces(Handle h, List<String> workspaceKeys) {
        return h.createQuery("""
                        select k from unnest(cast(:keys as text[])) k
                        where not exists (select 1 from workspaces w where w.workspace_id = k) order by k""")
                .bind("keys", workspaceKeys.toArray(String[]::new))
                .mapTo(String.class)
                .list();
    }

    /** Replaces what the pool serves in {@code org}: every workspace ({@code workspaceKeys} null) or those. */
    void replaceGrants(Handle h, String poolId, String org, List<String> workspaceKeys) {
        h.createUpdate("delete from pool_grants where pool_id = :p and org_id = :o")
                .bind("p", poolId)
                .bind("o", org)
                .execute();
        h.createUpdate("""
                        insert into pool_grants (pool_id, org_id, workspace_id)
                        select :p, :o, k from unnest(coalesce(cast(:keys as text[]), array[null::text])) k""")
                .bind("p", poolId)
                .bind("o", org)
                .bind("keys", workspaceKeys == null ? null : workspaceKeys.toArray(String[]::new))
                .execute();
    }

    /** Workspaces of {@code org} that name the pool as theirs although it is not granted to them. */
    List<String> namingWithoutGrant(Handle h, String poolId, String org) {
        return h.createQuery("""
                        select w.workspace_id from workspaces w where w.pool_id = :p and w.org_id = :o
                          and not exists (select 1 from pool_grants g where g.pool_id = :p and g.org_id = :o
                                          and (g.workspace_id is null or g.workspace_id = w.workspace_id))
                        order by w.workspace_id""")
                .bind("p", poolId)
                .bind("o", org)
                .mapTo(String.class)
                .list();
    }

    /**
     * Workspaces of {@code org} with a queued task that no pool could ever run: none granted to the workspace (and
     * named by it, if it names one) has labels covering the task's. Task creation refuses such a task; a change of
     * grants must not make one.
     */
    List<String> stranded(Handle h, String org) {
        return h.createQuery("""
                        select distinct t.workspace_id from tasks t join workspaces w on w.workspace_id = t.workspace_id
                        where t.org_id = :o and t.status = 'queued' and not exists (
                            select 1 from pool_grants g join pools p on p.pool_id = g.pool_id
                            where g.org_id = w.org_id and (g.workspace_id is null or g.workspace_id = w.workspace_id)
                              and (w.pool_id is null or w.pool_id = p.pool_id) and t.labels <@ p.labels)
                        order by t.workspace_id""").bind("o", org).mapTo(String.class).list();
    }

    /** A pool as a row of {@code pools} holds it (also read by the claim, which locks its agent with its pool). */
    public static PoolConfig row(ResultSet rs) throws SQLException {
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
