package io.iacrunner.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.iacrunner.server.ServerConfig;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * The one store: PostgreSQL, embedded by default or external with a JDBC URL. Opens the pool, migrates the schema
 * with Flyway, and hands out a {@link Jdbi}. Closing stops the embedded server, if any, after the pool.
 */
public final class Database implements AutoCloseable {
    private final EmbeddedPostgresProcess embedded;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(EmbeddedPostgresProcess embedded, HikariDataSource dataSource) {
        this.embedded = embedded;
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
    }

    public static Database open(ServerConfig config) {
        EmbeddedPostgresProcess embedded = null;
        String url = config.databaseUrl();
        String user = config.databaseUser();
        String password = config.databasePassword();
        if (config.embeddedDatabase()) {
            embedded = EmbeddedPostgresProcess.start(config.dataDir().resolve("pg"));
            url = embedded.jdbcUrl();
            user = embedded.user();
            password = null;
        }
        try {
            HikariConfig hikari = new HikariConfig();
            hikari.setJdbcUrl(url);
            hikari.setUsername(user);
            hikari.setPassword(password);
            hikari.setMaximumPoolSize(20);
            hikari.setPoolName("iac-store");
            HikariDataSource ds = new HikariDataSource(hikari);
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            return new Database(embedded, ds);
        } catch (RuntimeException e) {
            if (embedded != null) embedded.close();
            throw e;
        }
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) embedded.close();
    }
}
