package io.iacrunner.server.agents;

import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.StoreClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * All SQL about agents. Liveness is judged by the store's clock ({@link StoreClock}: the database's, in production):
 * {@code now - last_seen}.
 */
public final class AgentStore {
    /** An agent row plus what the store knows of it. */
    public record AgentRow(String agentId, String poolId) {}

    private final Jdbi jdbi;
    private final StoreClock clock;

    public AgentStore(Jdbi jdbi, StoreClock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** @param isolation how the agent isolates its tasks; null when it does not say */
    public void insert(
            String agentId, String name, String poolId, String version, String hostname, Isolation isolation) {
        jdbi.useHandle(h -> clock.at(h.createUpdate("""
                        insert into agents (agent_id, name, pool_id, version, hostname, isolation, last_seen)
                        values (:id, :name, :pool, :version, :host, :isolation, <now>)"""))
                .bind("id", agentId)
                .bind("name", name)
                .bind("pool", poolId)
                .bind("version", version)
                .bind("host", hostname)
                .bind("isolation", isolation == null ? null : isolation.wireName())
                .execute());
    }

    /**
     * Records a ping ({@code pingJson} null: a registration that resumed the agent, which keeps its last ping); empty
     * when the agent is unknown (the store was reset, it deregistered, or it never registered here). A version or
     * isolation the ping does not state stays as it was.
     */
    public Optional<AgentRow> touch(String agentId, String pingJson, String version, Isolation isolation) {
        return jdbi.withHandle(h -> clock.at(h.createQuery("""
                        update agents set last_seen = <now>, last_ping = coalesce(cast(:ping as jsonb), last_ping),
                            version = coalesce(:version, version), isolation = coalesce(:isolation, isolation)
                        where agent_id = :id and deregistered_at is null returning agent_id, pool_id"""))
                .bind("id", agentId)
                .bind("ping", pingJson)
                .bind("version", version)
                .bind("isolation", isolation == null ? null : isolation.wireName())
                .map((rs, ctx) -> new AgentRow(rs.getString("agent_id"), rs.getString("pool_id")))
                .findOne());
    }

    public Optional<AgentRow> find(String agentId) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select agent_id, pool_id from agents where agent_id = :id and deregistered_at is null")
                .bind("id", agentId)
                .map((rs, ctx) -> new AgentRow(rs.getString("agent_id"), rs.getString("pool_id")))
                .findOne());
    }

    /** Marks the agent gone; true when it was registered. */
    public boolean deregister(String agentId) {
        return jdbi.withHandle(h -> h.createUpdate(
                                "update agents set deregistered_at = now() where agent_id = :id and deregistered_at is null")
                        .bind("id", agentId)
                        .execute())
                == 1;
    }

    public List<AgentView> list(Duration offlineAfter) {
        return jdbi.withHandle(h -> clock.at(h.createQuery("""
                        select a.agent_id, a.name, a.pool_id, a.version, a.last_seen, a.isolation,
                               coalesce((a.last_ping ->> 'disk_full')::boolean, false) as disk_full,
                               a.deregistered_at is not null
                                   or <now> - a.last_seen > make_interval(secs => :offline) as offline,
                               coalesce(array_agg(t.task_id order by t.seq) filter (where t.task_id is not null),
                                        '{}') as running
                        from agents a left join tasks t on t.agent_id = a.agent_id and t.status = 'running'
                        group by a.agent_id order by a.registered_at"""))
                .bind("offline", (double) offlineAfter.toMillis() / 1000.0)
                .map((rs, ctx) -> {
                    List<String> running =
                            List.of((String[]) rs.getArray("running").getArray());
                    String status = rs.getBoolean("offline") ? "offline" : running.isEmpty() ? "idle" : "busy";
                    return new AgentView(
                            rs.getString("agent_id"),
                            rs.getString("name"),
                            rs.getString("pool_id"),
                            status,
                            Rows.instant(rs, "last_seen"),
                            running,
                            rs.getString("version"),
                            rs.getString("isolation") == null ? null : Isolation.fromWire(rs.getString("isolation")),
                            rs.getBoolean("disk_full"));
                })
                .list());
    }
}
