package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.ms;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long the server takes to serve, against what it cannot go below: the embedded PostgreSQL starting on its own,
 * and the JVM starting the CLI. Each mode is a fresh process started as a user starts it ({@code ./iac}), interleaved
 * round by round, so the machine's noise falls on all of them alike.
 */
final class StartupBench {
    static final String NAME = "startup";
    private static final Duration READY_WITHIN = Duration.ofSeconds(120);

    private StartupBench() {}

    record Options(int rounds, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int rounds = 5;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (rounds < 1) throw new IllegalArgumentException("--rounds >= 1");
            return new Options(rounds, doc);
        }
    }

    enum Mode {
        POSTGRES(
                "embedded PostgreSQL alone",
                "a new JVM that starts the server's PostgreSQL (the same library, binaries and settings) on an"
                        + " existing data directory, until it takes connections: what the server's start cannot go below"),
        CLI("JVM + CLI", "`./iac --version` as a new process, until it exits"),
        SERVER_EXISTING(
                "server, existing store",
                "`./iac server` on a data directory it has run on before, until `/readyz` answers 200"),
        SERVER_FRESH(
                "server, fresh store",
                "`./iac server` on an empty data directory (a new PostgreSQL cluster, every migration), until `/readyz` answers 200");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        Path root = Path.of(System.getProperty("user.dir"));
        Path iac = root.resolve("iac");
        Path scratch = BenchEnv.tempDir(NAME);
        Map<Mode, List<Double>> millis = new EnumMap<>(Mode.class);
        try {
            // Builds the CLI if needed, and leaves a store for the "existing" mode.
            timeProcess(List.of(iac.toString(), "--version"), scratch.resolve("build.log"));
            Path existing = scratch.resolve("existing");
            timeServer(iac, existing, scratch.resolve("first.log"));
            Path pgOnly = scratch.resolve("pg-only");
            BenchEnv.durablePostgres(pgOnly, false).close();
            for (int r = 0; r < o.rounds(); r++) {
                for (int k = 0; k < Mode.values().length; k++) {
                    Mode mode = Mode.values()[(r + k) % Mode.values().length];
                    Path log = scratch.resolve(mode.name().toLowerCase() + "-" + r + ".log");
                    double took = switch (mode) {
                        case POSTGRES -> timeProcess(postgresOnly(pgOnly), log);
                        case CLI -> timeProcess(List.of(iac.toString(), "--version"), log);
                        case SERVER_EXISTING -> timeServer(iac, existing, log);
                        case SERVER_FRESH -> timeServer(iac, scratch.resolve("fresh-" + r), log);
                    };
                    millis.computeIfAbsent(mode, m -> new ArrayList<>()).add(took);
                    System.err.printf("startup: round %d %-24s %,8.0f ms%n", r + 1, mode.label, took);
                }
            }
        } finally {
            BenchEnv.deleteTree(scratch);
        }
        BenchmarkDoc.publish(o.doc(), NAME, render(millis, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    /** A JVM that starts PostgreSQL on {@code dir} and exits once it takes connections (stopping it). */
    private static List<String> postgresOnly(Path dir) {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                PostgresOnly.class.getName(),
                dir.toString());
    }

    /** The "embedded PostgreSQL alone" process. */
    public static final class PostgresOnly {
        private PostgresOnly() {}

        public static void main(String[] args) throws IOException {
            BenchEnv.durablePostgres(Path.of(args[0]), false).close();
        }
    }

    private static double timeProcess(List<String> command, Path log) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(READY_WITHIN.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " failed; see " + Files.readString(log));
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Starts the server, times it to a 200 from /readyz, stops it with SIGTERM and waits for it to exit. */
    private static double timeServer(Path iac, Path dataDir, Path log) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(List.of(
                        iac.toString(), "server", "--data-dir", dataDir.toString(), "--port", Integer.toString(port)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            long deadline = t0 + READY_WITHIN.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) throw new IllegalStateException("the server exited: " + Files.readString(log));
                try {
                    if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200)
                        return (System.nanoTime() - t0) / 1e6;
                } catch (IOException notYet) {
                    // Not listening yet.
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("the server was not ready within " + READY_WITHIN.toSeconds() + " s");
        } finally {
            p.toHandle().destroy(); // SIGTERM: the server stops its PostgreSQL before it exits
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
    }

    private static String render(Map<Mode, List<Double>> millis, Options o, Duration took, String loadAtStart) {
        Map<Mode, Samples> s = new EnumMap<>(Mode.class);
        millis.forEach((m, list) -> s.put(m, Samples.of(list)));
        StringBuilder out = new StringBuilder();
        out.append("## startup: from start to serving, against the embedded PostgreSQL and the JVM alone\n\n");
        out.append("Command: `bench/run startup`. Each mode ")
                .append(o.rounds())
                .append(" times, interleaved (each round starts with a different mode):\n\n");
        for (Mode m : Mode.values())
            out.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        out.append("\n| mode | runs | median | fastest – slowest |\n|---|---:|---:|---:|\n");
        for (Mode m : Mode.values())
            out.append(Samples.timeRow(m.label, s.get(m))).append('\n');
        double overhead =
                s.get(Mode.SERVER_EXISTING).median() - s.get(Mode.POSTGRES).median();
        out.append("\nServer on an existing store, beyond its PostgreSQL's own start (medians): **")
                .append(ms(overhead))
                .append("** (the goal: 1.5 s or less). On a fresh store: ")
                .append(ms(
                        s.get(Mode.SERVER_FRESH).median() - s.get(Mode.POSTGRES).median()))
                .append(" beyond an existing cluster's start. Each server logs where its start went, phase by phase"
                        + " (`started in … (embedded PostgreSQL …, migrations …, keys …, services …, http …)`).\n\n");
        out.append(BenchEnv.runFooter(took, "The started processes and the bench", loadAtStart));
        return out.toString();
    }
}
