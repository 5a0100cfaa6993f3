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
            Map<String, Role> grants) {
        h.createUpdate("""
                        insert into api_tokens (token_id, kind, secret_sha256, description, global_admin, pool_id, expires_at)
                        values (:id, :kind, :hash, :description, :admin, :pool, :expires)""")
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

    List<TokenView> list() {
        return jdbi.withHandle(h -> {
            Map<String, Map<String, Role>> grants = new HashMap<>();
            h.createQuery("select token_id, workspace_id, role from token_grants")
                    .map((rs, ctx) ->
                            new String[] {rs.getString("token_id"), rs.getString("workspace_id"), rs.getString("role")})
                    .forEach(g ->
                            grants.computeIfAbsent(g[0], k -> new TreeMap<>()).put(g[1], Role.fromWire(g[2])));
            return h.createQuery("select * from api_tokens order by created_at, token_id")
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
                Rows.instant(rs, "revoked_at"));
    }
}
