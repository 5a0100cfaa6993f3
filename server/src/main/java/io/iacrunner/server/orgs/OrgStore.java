package io.iacrunner.server.orgs;

import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TeamView;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.util.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about organisations, their users, teams and team grants. */
final class OrgStore {
    private final Jdbi jdbi;

    OrgStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** @return false when it exists already */
    boolean insert(OrgSettings s) {
        return jdbi.withHandle(h -> h.createUpdate("""
                                insert into organisations (org_id, weight, max_running, max_queued)
                                values (:id, coalesce(:weight, 1), nullif(:maxRunning, 0), nullif(:maxQueued, 0))
                                on conflict do nothing""")
                        .bind("id", s.orgId())
                        .bind("weight", s.weight())
                        .bind("maxRunning", s.maxRunning())
                        .bind("maxQueued", s.maxQueued())
                        .execute()
                == 1);
    }

    void update(String org, OrgSettings s) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update organisations set weight = coalesce(:weight, weight),
                            max_running = case when cast(:maxRunning as int) is null then max_running
                                               else nullif(:maxRunning, 0) end,
                            max_queued = case when cast(:maxQueued as int) is null then max_queued
                                              else nullif(:maxQueued, 0) end
                        where org_id = :id""")
                .bind("id", org)
                .bind("weight", s.weight())
                .bind("maxRunning", s.maxRunning())
                .bind("maxQueued", s.maxQueued())
                .execute());
    }

    Optional<OrgView> find(String org) {
        return jdbi.withHandle(h -> h.createQuery("select * from organisations where org_id = :id")
                .bind("id", org)
                .map((rs, ctx) -> view(rs))
                .findOne());
    }

    /** @param visible the organisations to list; null for all */
    List<OrgView> list(Set<String> visible) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select * from organisations where cast(:all as boolean) or org_id = any(:visible) order by org_id""")
                .bind("all", visible == null)
                .bindArray("visible", String.class, visible == null ? List.of() : List.copyOf(visible))
                .map((rs, ctx) -> view(rs))
                .list());
    }

    /** @return false when the name is taken already */
    boolean insertUser(String org, String name) {
        return insertNamed("users", org, name);
    }

    /** @return false when the name is taken already */
    boolean insertTeam(String org, String name) {
        return insertNamed("teams", org, name);
    }

    private boolean insertNamed(String table, String org, String name) {
        return jdbi.withHandle(
                h -> h.createUpdate("insert into " + table + " (org_id, name) values (:o, :n) on conflict do nothing")
                                .bind("o", org)
                                .bind("n", name)
                                .execute()
                        == 1);
    }

    boolean exists(Handle h, String table, String org, String name) {
        return h.createQuery("select exists (select 1 from " + table + " where org_id = :o and name = :n)")
                .bind("o", org)
                .bind("n", name)
                .mapTo(Boolean.class)
                .one();
    }

    boolean exists(String table, String org, String name) {
        return jdbi.withHandle(h -> exists(h, table, org, name));
    }

    void addMember(String org, String team, String user) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into team_members (org_id, team, user_name) values (:o, :t, :u) on conflict do nothing""")
                .bind("o", org)
                .bind("t", team)
                .bind("u", user)
                .execute());
    }

    /** Sets the team's role on the workspace (its key; null: every workspace of the organisation). */
    void grant(String org, String team, String workspaceKey, Role role) {
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            delete from team_grants where org_id = :o and team = :t
                              and coalesce(workspace_id, '') = coalesce(cast(:ws as text), '')""")
                    .bind("o", org)
                    .bind("t", team)
                    .bind("ws", workspaceKey)
                    .execute();
            h.createUpdate("insert into team_grants (org_id, team, workspace_id, role) values (:o, :t, :ws, :r)")
                    .bind("o", org)
                    .bind("t", team)
                    .bind("ws", workspaceKey)
                    .bind("r", role.wireName())
                    .execute();
        });
    }

    List<TeamView> teams(String org) {
        return jdbi.withHandle(h -> {
            Map<String, List<String>> members = new LinkedHashMap<>();
            Map<String, List<TeamView.Grant>> grants = new LinkedHashMap<>();
            List<String> names = h.createQuery("select name from teams where org_id = :o order by name")
                    .bind("o", org)
                    .mapTo(String.class)
                    .list();
            names.forEach(n -> {
                members.put(n, new ArrayList<>());
                grants.put(n, new ArrayList<>());
            });
            h.createQuery("select team, user_name from team_members where org_id = :o order by user_name")
                    .bind("o", org)
                    .map((rs, ctx) -> new String[] {rs.getString("team"), rs.getString("user_name")})
                    .forEach(m -> members.get(m[0]).add(m[1]));
            h.createQuery("select team, workspace_id, role from team_grants where org_id = :o order by workspace_id")
                    .bind("o", org)
                    .map((rs, ctx) ->
                            new String[] {rs.getString("team"), rs.getString("workspace_id"), rs.getString("role")})
                    .forEach(g -> grants.get(g[0])
                            .add(new TeamView.Grant(g[1] == null ? null : OrgNames.nameOf(g[1]), Role.fromWire(g[2]))));
            return names.stream()
                    .map(n -> new TeamView(org, n, List.copyOf(members.get(n)), List.copyOf(grants.get(n))))
                    .toList();
        });
    }

    List<String> users(String org) {
        return jdbi.withHandle(h -> h.createQuery("select name from users where org_id = :o order by name")
                .bind("o", org)
                .mapTo(String.class)
                .list());
    }

    boolean poolExists(String poolId) {
        return jdbi.withHandle(h -> h.createQuery("select exists (select 1 from pools where pool_id = :p)")
                .bind("p", poolId)
                .mapTo(Boolean.class)
                .one());
    }

    /** Shares pool {@code poolId} with every workspace of {@code org}. @return false when it was already */
    boolean sharePool(String poolId, String org) {
        return jdbi.withHandle(
                h -> h.createUpdate("""
                                insert into pool_grants (pool_id, org_id) values (:p, :o) on conflict do nothing""").bind("p", poolId).bind("o", org).execute() == 1);
    }

    private static OrgView view(ResultSet rs) throws SQLException {
        return new OrgView(
                rs.getString("org_id"),
                rs.getInt("weight"),
                Rows.nullableInt(rs, "max_running"),
                Rows.nullableInt(rs, "max_queued"),
                Rows.instant(rs, "created_at"));
    }
}
