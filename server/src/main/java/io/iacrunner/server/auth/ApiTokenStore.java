package io.iacrunner.server.auth;

import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TokenView;
import io.iacrunner.server.util.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** All SQL about opaque API tokens and their workspace grants. */
final class ApiTokenStore {
    /**
     * Whose token it is: an organisation's owner ({@code orgOwner}), a user of it, or nobody in particular ({@code org}
     * null: the site admin's, a pool's, a token of before organisations).
     */
    record Owner(String org, String user, boolean orgOwner) {
        static final Owner NONE = new Owner(null, null, false);
    }

    /** What a user of an organisation may do through its teams: roles per workspace, and on every workspace. */
    record TeamRoles(Map<String, Role> workspaces, Role everywhere) {}

    /** The highest role each of the user's teams grants it, per workspace and on all of them. */
    TeamRoles teamRoles(String org, String user) {
        return jdbi.withHandle(h -> {
            Map<String, Role> workspaces = new TreeMap<>();
            Role[] everywhere = {null};
            h.createQuery("""
                            select g.workspace_id, g.role from team_grants g
                            join team_members m on m.org_id = g.org_id and m.team = g.team
                            where m.org_id = :org and m.user_name = :user""")
                    .bind("org", org)
                    .bind("user", user)
                    .map((rs, ctx) -> new String[] {rs.getString("workspace_id"), rs.getString("role")})
                    .forEach(g -> {
                        Role role = Role.fromWire(g[1]);
                        if (g[0] == null) everywhere[0] = higher(everywhere[0], role);
                        else workspaces.merge(g[0], role, ApiTokenStore::higher);
                    });
            return new TeamRoles(workspaces, everywhere[0]);
        });
    }

    private static Role higher(Role a, Role b) {
        return a == null || b.includes(a) ? b : a;
    }

    /** A stored token: its view and the hash its secret must match. */
    record Stored(TokenView view, byte[] secretSha256) {}

    private final Jdbi jdbi;

    ApiTokenStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    void insert(
            Handle h,
            String tokenId,
            String kind,
            byte[] secretSha256,
            String description,
            boolean globalAdmin,
            String poolId,
            Instant expiresAt,
            Map<String, Role> grants,
            Owner owner) {
        h.createUpdate("""
                        insert into api_tokens (token_id, kind, secret_sha256, description, global_admin, pool_id, expires_at,
                                                org_id, user_name, org_owner)
                        values (:id, :kind, :hash, :description, :admin, :pool, :expires, :org, :user, :owner)""")
                .bind("org", owner.org())
                .bind("user", owner.user())
                .bind("owner", owner.orgOwner())
                .bind("id", tokenId)
                .bind("kind", kind)
                .bind("hash", secretSha256)
                .bind("description", description)
                .bind("admin", globalAdmin)
                .bind("pool", poolId)
                .bind("expires", expiresAt)
                .execute();
        grants.forEach((workspace, role) -> h.createUpdate(
                        "insert into token_grants (token_id, workspace_id, role) values (:id, :ws, :role)")
                .bind("id", tokenId)
                .bind("ws", workspace)
                .bind("role", role.wireName())
                .execute());
    }

    Optional<Stored> find(String tokenId) {
        return jdbi.withHandle(h -> h.createQuery("select * from api_tokens where token_id = :id")
                .bind("id", tokenId)
                .map((rs, ctx) -> new Stored(view(rs, grants(h, tokenId)), rs.getBytes("secret_sha256")))
                .findOne());
    }

    /** Every token, or those of one organisation ({@code org} not null). */
    List<TokenView> list(String org) {
        return jdbi.withHandle(h -> {
            Map<String, Map<String, Role>> grants = new HashMap<>();
            h.createQuery("select token_id, workspace_id, role from token_grants")
                    .map((rs, ctx) ->
                            new String[] {rs.getString("token_id"), rs.getString("workspace_id"), rs.getString("role")})
                    .forEach(g ->
                            grants.computeIfAbsent(g[0], k -> new TreeMap<>()).put(g[1], Role.fromWire(g[2])));
            return h.createQuery("""
                            select * from api_tokens where cast(:org as text) is null or org_id = :org
                            order by created_at, token_id""")
                    .bind("org", org)
                    .map((rs, ctx) -> view(rs, grants.getOrDefault(rs.getString("token_id"), Map.of())))
                    .list();
        });
    }

    /** @return false when there is no such token or it was revoked already */
    boolean revoke(String tokenId) {
        return jdbi.withHandle(h ->
                h.createUpdate("update api_tokens set revoked_at = now() where token_id = :id and revoked_at is null")
                                .bind("id", tokenId)
                                .execute()
                        == 1);
    }

    /** At most once a minute per token: a busy client must not turn every read into a write. */
    void touch(String tokenId) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update api_tokens set last_used_at = now()
                        where token_id = :id and (last_used_at is null or last_used_at < now() - interval '1 minute')""").bind("id", tokenId).execute());
    }

    private static Map<String, Role> grants(Handle h, String tokenId) {
        Map<String, Role> grants = new TreeMap<>();
        h.createQuery("select workspace_id, role from token_grants where token_id = :id")
                .bind("id", tokenId)
                .map((rs, ctx) -> new String[] {rs.getString("workspace_id"), rs.getString("role")})
                .forEach(g -> grants.put(g[0], Role.fromWire(g[1])));
        return grants;
    }

    private static TokenView view(ResultSet rs, Map<String, Role> grants) throws SQLException {
        return new TokenView(
                rs.getString("token_id"),
                rs.getString("kind"),
                rs.getString("description"),
                rs.getBoolean("global_admin"),
                grants,
                rs.getString("pool_id"),
                Rows.instant(rs, "created_at"),
                Rows.instant(rs, "expires_at"),
                Rows.instant(rs, "last_used_at"),
                Rows.instant(rs, "revoked_at"),
                rs.getString("org_id"),
                rs.getString("user_name"),
                rs.getBoolean("org_owner"));
    }
}
