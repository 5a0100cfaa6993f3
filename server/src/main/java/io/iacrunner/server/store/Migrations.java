package io.iacrunner.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Brings the store's schema to this build's. Flyway's full run (finding every script on the class path, checking each
 * one's checksum against the store's history) took a second or more of every start, most of a restart's outage for
 * the agents waiting on it; a store whose history already ends at {@link #LATEST} has nothing to migrate, so that is
 * read first with one query and Flyway runs only when it does not. What the shortcut gives up is Flyway's check that
 * scripts applied long ago were not edited since; the scripts are part of the release, and a release that edits one
 * still fails that check on the first start of the store that needs a migration.
 */
final class Migrations {
    /** The newest script in {@code db/migration}; {@code MigrationsTest} fails when a newer one is added without it. */
    static final String LATEST = "81";

    private Migrations() {}

    /** Migrates if needed; returns the schema version the store is at. */
    static String migrate(DataSource ds) {
        if (LATEST.equals(recordedVersion(ds))) return LATEST;
        // Several replicas may start at once: Flyway serializes them with a PostgreSQL advisory lock.
        Flyway flyway = Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/migration")
                .load();
        flyway.migrate();
        return flyway.info().current().getVersion().getVersion();
    }

    /** The version of the last successful migration in the store's history; null for a store without one. */
    static String recordedVersion(DataSource ds) {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            if (!historyExists(c)) return null;
            try (ResultSet rs = s.executeQuery("""
                    select version from flyway_schema_history
                    where success and version is not null order by installed_rank desc limit 1""")) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the store's schema history: " + e.getMessage(), e);
        }
    }

    private static boolean historyExists(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select to_regclass('flyway_schema_history') is not null")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
