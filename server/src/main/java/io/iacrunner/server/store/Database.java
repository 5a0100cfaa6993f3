package io.iacrunner.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.util.StartupTimeline;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 *
 * <p>An unreachable store fails fast: a request waits at most {@link #CONNECTION_WAIT} for a connection (Hikari's
 * default is 30 s), and then answers {@code 503 store_unavailable}. {@link #availability()} records the outage (one
 * log line) and a probe marks it over as soon as the store answers again. The embedded PostgreSQL is supervised
 * ({@link PostmasterSupervisor}): restarted when it dies, and while it is down no request even waits for the pool.
 */
public final class Database implements AutoCloseable {
    /**
     * The longest a statement waits for a connection the pool could open but cannot: a healthy store hands one out in
     * milliseconds, so waiting longer means it is down, and a quick 503 with {@code Retry-After} serves every client
     * better than a request that hangs. Checking an idle connection before use takes at most {@link #VALIDATION_WAIT}
     * on top.
     */
    static final Duration CONNECTION_WAIT = Duration.ofMillis(1500);

    static final Duration VALIDATION_WAIT = Duration.ofMillis(500);
    /**
     * The longest a statement waits while every connection is in use by other requests: the store is busy, not down
     * (a burst of agents on a small pool), and the wait ends as soon as one is returned.
     */
    static final Duration BUSY_WAIT = Duration.ofSeconds(30);
    /** How often an unavailable store is asked whether it answers again. */
    static final Duration PROBE_EVERY = Duration.ofMillis(500);

    private final EmbeddedPostgresProcess embedded;
    private final PostmasterSupervisor supervisor;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final String schemaVersion;
    private final StoreAvailability availability;
    private final ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("store-probe").factory());

    private Database(
            EmbeddedPostgresProcess embedded,
            PostmasterSupervisor supervisor,
            HikariDataSource dataSource,
            String schemaVersion,
            MeterRegistry metrics,
            StoreAvailability availability) {
        this.embedded = embedded;
        this.supervisor = supervisor;
        this.dataSource = dataSource;
        this.schemaVersion = schemaVersion;
        this.availability = availability;
        this.jdbi = Jdbi.create(this::connection).installPlugin(new PostgresPlugin());
        Timer statements = Timer.builder("iac.store.statement")
                .description("Time of each SQL statement, as the server sees it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(metrics);
        jdbi.getConfig(SqlStatements.class).setSqlLogger(new SqlLogger() {
            @Override
            public void logAfterExecution(StatementContext context) {
                statements.record(context.getElapsedTime(ChronoUnit.NANOS), TimeUnit.NANOSECONDS);
            }
        });
        probe.scheduleWithFixedDelay(
                this::probeOnce, PROBE_EVERY.toMillis(), PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The store of {@code config}; an embedded PostgreSQL that cannot be restarted is only logged. */
    public static Database open(ServerConfig config, MeterRegistry metrics) {
        return open(config, metrics, reason -> {});
    }

    /**
     * The store of {@code config}.
     *
     * @param lost told why, once, if the embedded PostgreSQL dies and cannot be restarted: the server cannot go on,
     *     and its process should be replaced
     */
    public static Database open(ServerConfig config, MeterRegistry metrics, Consumer<String> lost) {
        return open(config, metrics, lost, new StartupTimeline());
    }

    /** As {@link #open(ServerConfig, MeterRegistry, Consumer)}, marking its phases on {@code timeline}. */
    public static Database open(
            ServerConfig config, MeterRegistry metrics, Consumer<String> lost, StartupTimeline timeline) {
        EmbeddedPostgresProcess embedded = null;
        HikariConfig hikari = new HikariConfig();
        if (config.embeddedDatabase()) {
            embedded = EmbeddedPostgresProcess.start(config.dataDir().resolve("pg"));
            timeline.mark("embedded PostgreSQL");
            hikari.setJdbcUrl(embedded.jdbcUrl());
            hikari.setUsername(embedded.user());
        } else {
            hikari.setJdbcUrl(config.databaseUrl());
            hikari.setUsername(config.databaseUser());
            hikari.setPassword(config.databasePassword());
            // Driver properties: they win over the same parameters in the URL, so the settings mean what they say.
            if (config.databaseSslMode() != null) hikari.addDataSourceProperty("sslmode", config.databaseSslMode());
            if (config.databaseSslRootCert() != null) {
                hikari.addDataSourceProperty(
                        "sslrootcert",
                        config.databaseSslRootCert().toAbsolutePath().toString());
            }
        }
        hikari.setMaximumPoolSize(config.databasePoolSize());
        hikari.setConnectionTimeout(CONNECTION_WAIT.toMillis());
        hikari.setValidationTimeout(VALIDATION_WAIT.toMillis());
        hikari.setPoolName("iac-store");
        hikari.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(metrics));
        HikariDataSource ds = null;
        try {
            ds = new HikariDataSource(hikari);
            String current = Migrations.migrate(ds);
            timeline.mark("migrations");
            StoreAvailability availability = new StoreAvailability();
            PostmasterSupervisor supervisor = null;
            if (embedded != null) {
                HikariDataSource pool = ds;
                // Every pooled connection died with the postmaster: closing them now spares requests (and the log)
                // from finding that out one by one.
                supervisor = new PostmasterSupervisor(
                                embedded,
                                availability,
                                () -> pool.getHikariPoolMXBean().softEvictConnections(),
                                () -> awaitConnection(pool),
                                lost,
                                PostmasterSupervisor.Policy.DEFAULT)
                        .start();
            }
            return new Database(embedded, supervisor, ds, current, metrics, availability);
        } catch (RuntimeException e) {
            if (ds != null) ds.close();
            if (embedded != null) embedded.close();
            throw e;
        }
    }

    /**
     * A pooled connection. None while the embedded PostgreSQL is down, at once rather than after the pool's wait; none
     * after {@link #CONNECTION_WAIT} when the pool cannot open one; but while every connection is merely in use, the
     * wait goes on for up to {@link #BUSY_WAIT}.
     */
    private Connection connection() throws SQLException {
        long deadline = System.nanoTime() + BUSY_WAIT.toNanos();
        while (true) {
            if (supervisor != null && supervisor.down()) {
                throw new PostmasterSupervisor.Refused();
            }
            try {
                return dataSource.getConnection();
            } catch (SQLTransientConnectionException timedOut) {
                // Busy, not down: the pool is full and opening connections has not failed (Hikari then names the
                // failure as the cause). Counting active connections alone races with one just being handed back.
                HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
                boolean busy = pool != null
                        && timedOut.getCause() == null
                        && pool.getTotalConnections() >= dataSource.getMaximumPoolSize();
                if (!busy || System.nanoTime() - deadline > 0) throw timedOut;
            }
        }
    }

    /**
     * Waits until the pool hands out a connection again, for up to {@link #BUSY_WAIT}: after a restart, so the first
     * requests find one ready instead of failing on a slow first connect (they then would report an outage again).
     */
    private static void awaitConnection(HikariDataSource pool) {
        long deadline = System.nanoTime() + BUSY_WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try (Connection ignored = pool.getConnection()) {
                return;
            } catch (SQLException e) {
                // Still starting up, or slow to connect: try again until the deadline; requests then report it.
            }
        }
    }

    /**
     * Whether the embedded PostgreSQL of {@code config}'s data dir is running (a server uses it): tools that open the
     * store themselves must not, since starting it would stop the server's.
     */
    public static boolean embeddedInUse(ServerConfig config) {
        try {
            return config.embeddedDatabase()
                    && EmbeddedPostgresProcess.postmaster(config.dataDir().resolve("pg"))
                            .isPresent();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** Whether the store can be used now; where requests and jobs report that it cannot. */
    public StoreAvailability availability() {
        return availability;
    }

    /** While the store is unavailable: one cheap statement; when it answers, the outage is over. */
    private void probeOnce() {
        if (availability.state() != StoreAvailability.State.UNAVAILABLE) return;
        try {
            jdbi.useHandle(h -> h.createQuery("select 1")
                    .setQueryTimeout(1)
                    .mapTo(Integer.class)
                    .one());
            availability.available("PostgreSQL answers again");
        } catch (RuntimeException stillDown) {
            // Logged once when the outage began; the next probe tries again.
        }
    }

    /**
     * Whether the store answers and holds this server's schema: the readiness check. A store restored from an older
     * backup, or one another tool changed, is not one to serve from.
     */
    public boolean ready() {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from flyway_schema_history where success and version = :v)""")
                .setQueryTimeout(2)
                .bind("v", schemaVersion)
                .mapTo(Boolean.class)
                .one());
    }

    /** The schema version (the newest migration) this server runs on. */
    public String schemaVersion() {
        return schemaVersion;
    }

    @Override
    public void close() {
        probe.shutdownNow();
        if (supervisor != null) supervisor.close(); // before the postmaster is stopped on purpose
        dataSource.close();
        if (embedded != null) embedded.close();
    }
}
