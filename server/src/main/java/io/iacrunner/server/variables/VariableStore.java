package io.iacrunner.server.variables;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.util.Rows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;

/** All SQL about workspace variables. A row holds a plain JSON value or a sealed one, never both. */
final class VariableStore {
    /** A stored variable: {@code plain} or {@code sealed} is set. */
    record Row(String name, JsonNode plain, byte[] sealed, Instant updatedAt) {
        boolean sensitive() {
            return sealed != null;
        }
    }

    List<Row> all(Handle h, String workspaceId) {
        return h.createQuery("""
                        select name, plain_value, sealed_value, updated_at from workspace_variables
                        where workspace_id = :ws order by name""")
                .bind("ws", workspaceId)
                .map(VariableStore::row)
                .list();
    }

    Row put(Handle h, String workspaceId, String name, JsonNode plain, byte[] sealed) {
        return h.createQuery("""
                        insert into workspace_variables (workspace_id, name, plain_value, sealed_value)
                        values (:ws, :name, cast(:plain as jsonb), :sealed)
                        on conflict (workspace_id, name) do update
                            set plain_value = excluded.plain_value, sealed_value = excluded.sealed_value, updated_at = now()
                        returning name, plain_value, sealed_value, updated_at""")
                .bind("ws", workspaceId)
                .bind("name", name)
                .bind("plain", Rows.json(plain))
                .bind("sealed", sealed)
                .map(VariableStore::row)
                .one();
    }

    boolean delete(Handle h, String workspaceId, String name) {
        return h.createUpdate("delete from workspace_variables where workspace_id = :ws and name = :name")
                        .bind("ws", workspaceId)
                        .bind("name", name)
                        .execute()
                == 1;
    }

    boolean exists(Handle h, String workspaceId, String name) {
        return h.createQuery(
                        "select exists (select 1 from workspace_variables where workspace_id = :ws and name = :name)")
                .bind("ws", workspaceId)
                .bind("name", name)
                .mapTo(Boolean.class)
                .one();
    }

    int count(Handle h, String workspaceId) {
        return h.createQuery("select count(*) from workspace_variables where workspace_id = :ws")
                .bind("ws", workspaceId)
                .mapTo(Integer.class)
                .one();
    }

    private static Row row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        String plain = rs.getString("plain_value");
        try {
            return new Row(
                    rs.getString("name"),
                    plain == null ? null : WireJson.lenient().readTree(plain),
                    rs.getBytes("sealed_value"),
                    Rows.instant(rs, "updated_at"));
        } catch (IOException e) {
            throw new UncheckedIOException("workspace_variables.plain_value is not JSON", e);
        }
    }
}
