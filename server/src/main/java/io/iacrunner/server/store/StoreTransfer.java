package io.iacrunner.server.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Moves a whole store from one PostgreSQL to another (say, a single node's embedded database to an external server),
 * through a file: {@code ./iac admin export} and {@code ./iac admin import}. The file is text: a header line, then
 * per table a {@code table NAME COLUMNS} line, the rows in PostgreSQL's COPY text format (one row per line, newlines
 * escaped) and a {@code \.} line. Independent of the two servers' PostgreSQL versions, unlike {@code pg_dump}.
 *
 * <p>The export reads one consistent snapshot; the import writes in one transaction into a store that holds nothing
 * yet but what migrations seed, and refuses a file of another schema version (both sides run their migrations first).
 */
public final class StoreTransfer {
    static final String MAGIC = "iac-runner-export 1 schema ";
    private static final String END = "\\.";

    /** A table and its columns as exported; the workspace locks come last, once the tasks they name exist. */
    private record Table(String name, String columns) {}

    /** The order respects the foreign keys; workspaces point at tasks (their lock) and tasks at workspaces. */
    /**
     * Every table an export carries, parents before children. {@code StoreTransferTablesTest} fails when a migration
     * adds a table that is neither here nor in {@link #NOT_MOVED}.
     */
    static final List<String> TABLES = List.of(
            "organisations",
            "users",
            "teams",
            "team_members",
            "pools",
            "signing_keys",
            "api_tokens",
            "token_grants",
            "agents",
            "workspaces",
            "pool_grants",
            "team_grants",
            "workspace_variables",
            "tasks",
            "stored_plans",
            "notification_destinations",
            "notification_outbox",
            "log_chunks",
            "state_versions",
            "audit_events",
            "secrets_key",
            "store_upgrades");

    /**
     * Tables an export leaves out: Flyway's own history, viewer tickets that live 30 seconds, and the configurations
     * Terraform's {@code cloud} block uploads for a run it is about to create (a run keeps its own copy).
     */
    static final java.util.Set<String> NOT_MOVED =
            java.util.Set.of("flyway_schema_history", "ws_tickets", "tfe_configuration_versions");

    private static final String LOCKS = "workspace_locks";
    private static final String LOCK_COLUMNS = "workspace_id, lock_task_id, lock_reason, locked_at";
    private static final java.util.Set<String> LOCK_ONLY = java.util.Set.of("lock_task_id", "lock_reason", "locked_at");

    private final Database database;

    public StoreTransfer(Database database) {
        this.database = database;
    }

    /** Writes every table to {@code out} from one snapshot; returns the rows written. */
    public long export(OutputStream out) {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        return database.jdbi()
                .inTransaction(TransactionIsolationLevel.REPEATABLE_READ, h -> unchecked(() -> export(h, writer)));
    }

    private long export(Handle h, Writer writer) throws IOException, SQLException {
        CopyManager copy = copyManager(h);
        writer.write(MAGIC + database.schemaVersion() + "\n");
        long rows = 0;
        for (Table table : tables(h)) {
            writer.write("table " + table.name() + " " + table.columns() + "\n");
            writer.flush();
            String source = table.name().equals(LOCKS)
                    ? "select " + LOCK_COLUMNS + " from workspaces where lock_task_id is not null"
                    : "select " + table.columns() + " from " + table.name();
            rows += copy.copyOut("copy (" + source + ") to stdout", writer);
            writer.write(END + "\n");
        }
        writer.flush();
        return rows;
    }

    /** Reads a file {@link #export} wrote into this (empty) store; returns the rows read. */
    public long importFrom(InputStream in) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return database.jdbi().inTransaction(h -> unchecked(() -> importFrom(h, reader)));
    }

    private long importFrom(Handle h, BufferedReader reader) throws IOException, SQLException {
        String header = reader.readLine();
        if (header == null || !header.startsWith(MAGIC)) {
            throw new TransferException("not an iac-runner export (it must start with '" + MAGIC + "')");
        }
        String version = header.substring(MAGIC.length()).trim();
        if (!version.equals(database.schemaVersion())) {
            throw new TransferException("the export is of schema version " + version + " but this store is at "
                    + database.schemaVersion() + ": export and import with the same iac-runner version");
        }
        requireEmpty(h);
        for (String table : TABLES.reversed()) h.execute("delete from " + table); // the rows migrations seed
        CopyManager copy = copyManager(h);
        long rows = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (line.isEmpty()) continue;
            if (!line.startsWith("table ")) throw new TransferException("expected a 'table' line, got: " + cut(line));
            String[] parts = line.split(" ", 3);
            rows += copyIn(h, copy, parts[1], parts[2], reader);
        }
        // tasks.seq is a sequence: new tasks must queue after the imported ones.
        h.execute(
                "select setval(pg_get_serial_sequence('tasks', 'seq'), coalesce((select max(seq) from tasks), 0) + 1, false)");
        h.execute("select setval(pg_get_serial_sequence('audit_events', 'event_id'),"
                + " coalesce((select max(event_id) from audit_events), 0) + 1, false)");
        return rows;
    }

    private interface Copying {
        long run() throws IOException, SQLException;
    }

    /** The file's and the database's failures, unchecked so they end the transaction (rolled back). */
    private static long unchecked(Copying copying) {
        try {
            return copying.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("the copy failed: " + e.getMessage(), e);
        }
    }

    private long copyIn(Handle h, CopyManager copy, String table, String columns, BufferedReader reader)
            throws SQLException, IOException {
        boolean locks = table.equals(LOCKS);
        if (!locks && !TABLES.contains(table)) throw new TransferException("unknown table in the export: " + table);
        if (locks)
            h.execute("create temporary table " + LOCKS + " on commit drop as select " + LOCK_COLUMNS
                    + " from workspaces limit 0");
        CopyIn in = copy.copyIn("copy " + (locks ? LOCKS : table) + " (" + columns + ") from stdin");
        try {
            for (String row = reader.readLine(); ; row = reader.readLine()) {
                if (row == null)
                    throw new TransferException("the export ends inside table " + table + ": is it truncated?");
                if (row.equals(END)) break;
                byte[] bytes = (row + "\n").getBytes(StandardCharsets.UTF_8);
                in.writeToCopy(bytes, 0, bytes.length);
            }
            long rows = in.endCopy();
            if (locks) {
                h.execute("update workspaces w set lock_task_id = l.lock_task_id, lock_reason = l.lock_reason,"
                        + " locked_at = l.locked_at from " + LOCKS + " l where w.workspace_id = l.workspace_id");
            }
            return rows;
        } finally {
            if (in.isActive()) in.cancelCopy();
        }
    }

    /** The tables with their current columns; workspaces without the lock, which is restored after the tasks. */
    private static List<Table> tables(Handle h) {
        List<Table> tables = new java.util.ArrayList<>();
        for (String name : TABLES) {
            List<String> columns =
                    h.createQuery("""
                            select column_name from information_schema.columns
                            where table_schema = current_schema() and table_name = :t and is_generated = 'NEVER'
                            order by ordinal_position""").bind("t", name).mapTo(String.class).list();
            if (name.equals("workspaces"))
                columns = columns.stream().filter(c -> !LOCK_ONLY.contains(c)).toList();
            tables.add(new Table(name, columns.stream().collect(Collectors.joining(","))));
        }
        tables.add(new Table(LOCKS, LOCK_COLUMNS.replace(" ", "")));
        return tables;
    }

    private static void requireEmpty(Handle h) {
        long used = h.createQuery("select (select count(*) from tasks) + (select count(*) from agents)"
                        + " + (select count(*) from workspaces) + (select count(*) from signing_keys)")
                .mapTo(Long.class)
                .one();
        if (used > 0) {
            throw new TransferException(
                    "the target store is not empty (it has tasks, agents, workspaces or keys): import"
                            + " only into a new database, before any server has run on it");
        }
    }

    private static CopyManager copyManager(Handle h) throws SQLException {
        return h.getConnection().unwrap(PGConnection.class).getCopyAPI();
    }

    private static String cut(String line) {
        return line.length() > 80 ? line.substring(0, 80) + "…" : line;
    }

    /** The file or the target is not what an import needs; the message says which and why. */
    public static final class TransferException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TransferException(String message) {
            super(message);
        }
    }
}
