package io.iacrunner.server.testing;

import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.settings.ServerSettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A server in a child JVM, for tests that must kill it for real: {@code ServerProcess DATA_DIR [PORT [PING_MILLIS
 * [NAME=VALUE...]]]} starts on {@code PORT} (0 or absent: a free one) with the given settings (as in
 * {@link ServerSettings}; {@code -} for the default ping interval; a ping interval given makes the lease three of them unless {@code
 * agent-lease} is set) and prints {@code READY <port>} once it serves.
 */
public final class ServerProcess {
    public static final String READY = "READY ";

    public static void main(String[] args) throws Exception {
        ServerConfig.Builder builder = ServerConfig.builder().port(0).dataDir(Path.of(args[0]));
        // As TestServer: new workspaces apply at once, as the tests written before plan review expect
        // (auto-apply-default=false among the settings turns it off).
        builder.autoApplyDefault(true);
        if (args.length > 1) builder.port(Integer.parseInt(args[1]));
        boolean pingGiven = args.length > 2 && !args[2].equals("-");
        if (pingGiven) builder.pingInterval(Duration.ofMillis(Long.parseLong(args[2])));
        ServerConfig config = pingGiven ? TestServer.shortLease(builder.build()) : builder.build();
        Map<String, String> settings = new HashMap<>();
        for (int i = 3; i < args.length; i++)
            settings.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
        config = ServerSettings.resolve(config, settings, null, Map.of(), Path::of);
        // As the server command does: a store lost for good ends the process with status 5.
        IacServer server = IacServer.start(config, reason -> {
            System.err.println("error: the server cannot go on: " + reason);
            System.exit(5);
        });
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println(READY + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Starts it on a free port with this JVM's class path; output goes to {@code log}. */
    public static Process launch(Path dataDir, Path log) throws IOException {
        return launch(dataDir, log, 0, null);
    }

    /**
     * Starts it on {@code port} (0: a free one) with the given ping interval (null: the default), so that a test can
     * kill it and start it again where its agents expect it.
     */
    public static Process launch(Path dataDir, Path log, int port, Duration pingInterval) throws IOException {
        return launch(dataDir, log, port, pingInterval, Map.of());
    }

    /** As {@link #launch(Path, Path, int, Duration)}, with settings by name ({@code database-url}, {@code redis-url}, …). */
    public static Process launch(Path dataDir, Path log, int port, Duration pingInterval, Map<String, String> settings)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                ServerProcess.class.getName(),
                dataDir.toString(),
                Integer.toString(port),
                pingInterval == null ? "-" : Long.toString(pingInterval.toMillis())));
        settings.forEach((name, value) -> command.add(name + "=" + value));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Waits until the server in {@code process} serves (its {@link #READY} line in {@code log}); fails if it exits. */
    public static void awaitReady(Process process, Path log) {
        Awaitility.await("server ready")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) throw new AssertionError("server exited: " + Files.readString(log));
                    return Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(READY));
                });
    }

    /**
     * A server killed with SIGKILL leaves its embedded PostgreSQL running; the next start on the data dir stops it, but
     * when there is none the test must.
     */
    public static void stopLeftoverPostmaster(Path dataDir) throws IOException {
        Path pid = dataDir.resolve("pg/postmaster.pid");
        if (!Files.exists(pid)) return;
        ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).getFirst().trim()))
                .ifPresent(p -> {
                    p.destroy();
                    p.onExit()
                            .orTimeout(30, TimeUnit.SECONDS)
                            .exceptionally(e -> p)
                            .join();
                });
    }

    /** A port nothing listens on right now (the usual small race with other processes is accepted in tests). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
