package io.iacrunner.server.agents;

import io.iacrunner.protocol.AgentPing;
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
     * Records a ping ({@code ping} null: a registration that resumed the agent, which keeps its last ping); empty
     * when the agent is unknown (the store was reset, it deregistered, or it never registered here). A version or
     * isolation the ping does not state stays as it was; its figures (load, slots, what runs) are kept as columns.
     */
    public Optional<AgentRow> touch(String agentId, AgentPing ping, String version, Isolation isolation) {
        return jdbi.withHandle(h -> clock.at(h.createQuery("""
                        update agents set last_seen = <now>, last_ping = coalesce(cast(:ping as jsonb), last_ping),
                            version = coalesce(:version, version), isolation = coalesce(:isolation, isolation),
                            cpu_usage = case when :pinged then :cpu else cpu_usage end,
                            mem_usage = case when :pinged then :mem else mem_usage end,
                            plan_limit = case when :pinged then :limit else plan_limit end,
                            plan_slots = case when :pinged then :slots else plan_slots end,
                            slots_reason = case when :pinged then :reason else slots_reason end,
                            busy = case when :pinged then :busy else busy end,
                            plans_running = case when :pinged then :plans else plans_running end,
                            apply_running = case when :pinged then :apply else apply_running end
                        where agent_id = :id and deregistered_at is null returning agent_id, pool_id"""))
                .bind("id", agentId)
                .bind("ping", ping == null ? null : Rows.json(ping))
                .bind("version", version)
                .bind("isolation", isolation == null ? null : isolation.wireName())
                .bind("pinged", ping != null)
                .bind("cpu", ping == null ? null : fraction(ping.cpuUsage()))
                .bind("mem", ping == null ? null : fraction(ping.memUsage()))
                .bind("limit", ping == null ? null : ping.planTaskLimit())
                .bind("slots", ping == null ? null : ping.planSlots())
                .bind("reason", ping == null || ping.slotsReason() == null ? null : limit(ping.slotsReason(), 200))
                .bind("busy", ping == null ? null : ping.busy())
                .bind("plans", ping == null ? null : ping.planTasksRunning())
                .bind("apply", ping == null ? null : ping.applyTaskRunning())
                .map((rs, ctx) -> new AgentRow(rs.getString("agent_id"), rs.getString("pool_id")))
                .findOne());
    }

    /** A share the agent reported, kept within 0..1 (NaN, which JSON cannot carry anyway, as unknown). */
    private static Double fraction(double value) {
        return Double.isNaN(value) ? null : Math.clamp(value, 0.0, 1.0);
    }

    private static String limit(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
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
                        select a.agent_id, a.name, a.pool_id, a.version, a.last_seen, a.isolation, a.cpu_usage,
                               a.mem_usage, a.plan_limit, a.plan_slots, a.slots_reason, a.plans_running, a.apply_running,
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
                            rs.getBoolean("disk_full"),
                            rs.getObject("cpu_usage", Double.class),
                            rs.getObject("mem_usage", Double.class),
                            rs.getObject("plan_limit", Integer.class),
                            rs.getObject("plan_slots", Integer.class),
                            rs.getString("slots_reason"),
                            rs.getObject("plans_running", Integer.class),
                            rs.getObject("apply_running", Boolean.class));
                })
                .list());
    }
}
