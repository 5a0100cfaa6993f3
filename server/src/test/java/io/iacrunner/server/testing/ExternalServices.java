package io.iacrunner.server.testing;

import io.iacrunner.server.settings.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The machine's own PostgreSQL and Redis, for the tests of production mode (external store, replicas). Where one is
 * missing those tests are skipped with the reason, except under {@code IAC_REQUIRE_SERVICES=1} (set by {@code .ci/run},
 * which starts both): there they fail, so CI cannot pass without running them.
 *
 * <p>Overrides: {@code IAC_TEST_PG_URL} (a JDBC URL of a database to connect to for creating others; default
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres}), {@code IAC_TEST_PG_USER} (default {@code postgres}),
 * {@code IAC_TEST_PG_PASSWORD}, {@code IAC_TEST_REDIS_URL} (default {@code redis://127.0.0.1:6379}).
 */
public final class ExternalServices {
    public static final String REQUIRE = "IAC_REQUIRE_SERVICES";

    private ExternalServices() {}

    /**
     * A database of the test's own, created empty and dropped (with its connections) on close, and the secrets key its
     * servers share: replicas of one store must seal with one key, and a server with another refuses to start.
     */
    public record FreshDatabase(String url, String user, String password, String name, Path secretsKey)
            implements AutoCloseable {
        /** {@code config} on this database, with a small pool: the machine's PostgreSQL serves several test runs. */
        public ServerConfig.Builder configure(ServerConfig.Builder config) {
            return config.database(url, user, password).databasePoolSize(4).secretsKeyFile(secretsKey);
        }

        /** The same as settings, for a server in a child JVM ({@link ServerProcess}). */
        public Map<String, String> settings() {
            Map<String, String> settings = new HashMap<>(Map.of(
                    "database-url",
                    url,
                    "database-user",
                    user,
                    "database-pool-size",
                    "4",
                    "secrets-key-file",
                    secretsKey.toString()));
            if (password != null) settings.put("database-password", password);
            return settings;
        }

        /** An outage of this database: new connections are refused and the open ones are terminated (57P01). */
        public void refuseConnections() {
            adminSql(
                    "alter database " + name + " with allow_connections false",
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + name + "'");
        }

        /** The end of {@link #refuseConnections()}'s outage. */
        public void allowConnections() {
            adminSql("alter database " + name + " with allow_connections true");
        }

        private static void adminSql(String... statements) {
            try (Connection admin = admin();
                    Statement sql = admin.createStatement()) {
                for (String statement : statements) sql.execute(statement);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try (Connection admin = admin();
                    Statement sql = admin.createStatement()) {
                sql.execute("drop database if exists " + name + " with (force)");
            } catch (SQLException e) {
                System.err.println("ExternalServices: could not drop test database " + name + ": " + e);
            }
            try {
                Files.deleteIfExists(secretsKey);
            } catch (IOException e) {
                System.err.println("ExternalServices: could not delete " + secretsKey + ": " + e);
            }
        }
    }

    /** A fresh database on the machine's PostgreSQL. */
    public static FreshDatabase postgres() {
        String name =
                "iac_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection admin = admin();
                Statement sql = admin.createStatement()) {
            sql.execute("create database " + name);
        } catch (SQLException e) {
            unavailable("PostgreSQL at " + adminUrl() + " (" + e.getMessage() + ")");
        }
        String url = adminUrl().replaceFirst("/[^/?]*(\\?|$)", "/" + name + "$1");
        return new FreshDatabase(url, adminUser(), env("IAC_TEST_PG_PASSWORD", null), name, newSecretsKey());
    }

    /** A random secrets key in a file of its own (0600), as an operator gives every replica. */
    private static Path newSecretsKey() {
        try {
            Path file = Files.createTempFile(
                    "iac-test-secrets-",
                    ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            return Files.writeString(file, Base64.getEncoder().encodeToString(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared Redis, after checking that it answers; tests keep to themselves with a redis-prefix of their own. */
    public static String redis() {
        String url = env("IAC_TEST_REDIS_URL", "redis://127.0.0.1:6379");
        URI uri = URI.create(url);
        if (!answersPing(uri.getHost(), uri.getPort())) unavailable("Redis at " + url);
        return url;
    }

    /** A prefix for Redis keys and channels that no other test (or engineer's test run) uses. */
    public static String redisPrefix() {
        return "iac-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Whether a Redis server answers PING on host:port. */
    public static boolean answersPing(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1_000);
            socket.setSoTimeout(1_000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Skips the test with the reason, or fails it where the services are required (CI). */
    public static void unavailable(String what) {
        String message = what + " is not available: tests of production mode need it (start it, or see .ci/run)";
        if ("1".equals(System.getenv(REQUIRE)))
            Assertions.fail(message + " [" + REQUIRE + "=1: failing instead of skipping]");
        Assumptions.abort(message);
    }

    private static Connection admin() throws SQLException {
        return DriverManager.getConnection(adminUrl(), adminUser(), env("IAC_TEST_PG_PASSWORD", null));
    }

    private static String adminUrl() {
        return env("IAC_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
    }

    private static String adminUser() {
        return env("IAC_TEST_PG_USER", "postgres");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
