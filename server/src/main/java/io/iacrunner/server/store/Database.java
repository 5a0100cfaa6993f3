package io.iacrunner.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.iacrunner.server.ServerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * The one store: PostgreSQL, embedded by default or external with a JDBC URL. Opens the pool, migrates the schema
 * with Flyway, and hands out a {@link Jdbi}. Closing stops the embedded server, if any, after the pool.
 *
 * <p>Every statement's time goes to {@code iac_store_statement_seconds} and the pool's own figures (waits for a
 * connection, usage) to Hikari's {@code hikaricp_*} meters: together, the store latency operators watch.
 */
public final class Database implements AutoCloseable {
    private final EmbeddedPostgresProcess embedded;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final String schemaVersion;

    private Database(EmbeddedPostgresProcess embedded, HikariDataSource dataSource, String schemaVersion, MeterRegistry metrics) {
        this.embedded = embedded;
        this.dataSource = dataSource;
        this.schemaVersion = schemaVersion;
        this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
        Timer statements = Timer.builder("iac.store.statement").description("Time of each SQL statement, as the server sees it")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(metrics);
        jdbi.getConfig(SqlStatements.class).setSqlLogger(new SqlLogger() {
            @Override
            public void logAfterExecution(StatementContext context) {
                statements.record(context.getElapsedTime(ChronoUnit.NANOS), TimeUnit.NANOSECONDS);
            }
        });
    }

    public static Database open(ServerConfig config, MeterRegistry metrics) {
        EmbeddedPostgresProcess embedded = null;
        HikariConfig hikari = new HikariConfig();
        if (config.embeddedDatabase()) {
            embedded = EmbeddedPostgresProcess.start(config.dataDir().resolve("pg"));
            hikari.setJdbcUrl(embedded.jdbcUrl());
            hikari.setUsername(embedded.user());
        } else {
            hikari.setJdbcUrl(config.databaseUrl());
            hikari.setUsername(config.databaseUser());
            hikari.setPassword(config.databasePassword());
            // Driver properties: they win over the same parameters in the URL, so the settings mean what they say.
            if (config.databaseSslMode() != null) hikari.addDataSourceProperty("sslmode", config.databaseSslMode());
            if (config.databaseSslRootCert() != null) {
                hikari.addDataSourceProperty("sslrootcert", config.databaseSslRootCert().toAbsolutePath().toString());
            }
        }
        hikari.setMaximumPoolSize(config.databasePoolSize());
        hikari.setPoolName("iac-store");
        hikari.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(metrics));
        HikariDataSource ds = null;
        try {
            ds = new HikariDataSource(hikari);
            // Several replicas may start at once: Flyway serializes them with a PostgreSQL advisory lock.
            Flyway flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration").load();
            flyway.migrate();
            MigrationVersion current = flyway.info().current().getVersion();
            return new Database(embedded, ds, current.getVersion(), metrics);
        } catch (RuntimeException e) {
            if (ds != null) ds.close();
            if (embedded != null) embedded.close();
            throw e;
        }
    }

    /**
     * Whether the embedded PostgreSQL of {@code config}'s data dir is running (a server uses it): tools that open the
     * store themselves must not, since starting it would stop the server's.
     */
    public static boolean embeddedInUse(ServerConfig config) {
        try {
            return config.embeddedDatabase() && EmbeddedPostgresProcess.postmaster(config.dataDir().resolve("pg")).isPresent();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * Whether the store answers and holds this server's schema: the readiness check. A store restored from an older
     * backup, or one another tool changed, is not one to serve from.
     */
    public boolean ready() {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from flyway_schema_history where success and version = :v)""")
                .setQueryTimeout(2).bind("v", schemaVersion).mapTo(Boolean.class).one());
    }

    /** The schema version (the newest migration) this server runs on. */
    public String schemaVersion() {
        return schemaVersion;
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) embedded.close();
    }
}
