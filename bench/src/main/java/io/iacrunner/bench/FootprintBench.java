package io.iacrunner.bench;

import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
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
 * The memory of an idle agent against the least an idle agent could be: {@code ./iac agent} (with the JVM options the
 * launcher gives agents) and {@link BareLongPollLoop}, each a process of its own registered with the same server,
 * long-polling and pinging with nothing to do. The loop runs twice: with the JVM's defaults, as someone would write
 * it, and with the agent's options, so that what the options save and what the agent's own code costs are apart.
 * Modes interleave round by round; each process settles, then its resident memory is read every second.
 */
final class FootprintBench {
    static final String NAME = "agent-footprint";
    /** The launcher's default for agents (iac, IAC_AGENT_JAVA_OPTS), given to the loop in the third mode. */
    static final List<String> AGENT_JVM_OPTIONS =
            List.of("-XX:+UseSerialGC", "-Xms8m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20");

    private FootprintBench() {}

    record Options(int rounds, int settleSeconds, int sampleSeconds, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int rounds = 3;
            int settle = 30;
            int sample = 10;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--settle" -> settle = Integer.parseInt(args.get(++i));
                    case "--sample" -> sample = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (rounds < 1 || settle < 1 || sample < 1)
                throw new IllegalArgumentException("--rounds, --settle, --sample >= 1");
            return new Options(rounds, settle, sample, doc);
        }
    }

    enum Mode {
        AGENT("agent (`./iac agent`)", "the agent as the launcher starts it, with its JVM options"),
        LOOP_DEFAULT("bare loop, JVM defaults", "`BareLongPollLoop` with no JVM options"),
        LOOP_AGENT_OPTIONS(
                "bare loop, the agent's JVM options", "`BareLongPollLoop` with the launcher's agent options");

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
        Path scratch = BenchEnv.tempDir(NAME);
        Map<Mode, List<Double>> mib = new EnumMap<>(Mode.class);
        try (IacServer server = IacServer.start(ServerConfig.builder()
                .port(0)
                .dataDir(scratch.resolve("server"))
                .build())) {
            String url = server.baseUrl().toString();
            Path token = server.agentTokenFile();
            for (int r = 0; r < o.rounds(); r++) {
                for (int k = 0; k < Mode.values().length; k++) {
                    Mode mode = Mode.values()[(r + k) % Mode.values().length];
                    List<String> command = switch (mode) {
                        case AGENT ->
                            List.of(
                                    root.resolve("iac").toString(),
                                    "agent",
                                    "--server",
                                    url,
                                    "--token-file",
                                    token.toString(),
                                    "--work-dir",
                                    scratch.resolve("work-" + r).toString(),
                                    "--name",
                                    "footprint-" + r);
                        case LOOP_DEFAULT -> loop(List.of(), url, token);
                        case LOOP_AGENT_OPTIONS -> loop(AGENT_JVM_OPTIONS, url, token);
                    };
                    double m = residentMib(command, scratch.resolve(mode.name() + "-" + r + ".log"), o);
                    mib.computeIfAbsent(mode, x -> new ArrayList<>()).add(m);
                    System.err.printf("agent-footprint: round %d %-36s %6.1f MiB%n", r + 1, mode.label, m);
                }
            }
        } finally {
            BenchEnv.deleteTree(scratch);
        }
        BenchmarkDoc.publish(o.doc(), NAME, render(mib, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    private static List<String> loop(List<String> jvmOptions, String url, Path token) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(jvmOptions);
        c.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), BareLongPollLoop.class.getName(), url, token.toString()));
        return c;
    }

    /** Starts {@code command}, lets it settle, and returns the median of its resident memory read once a second. */
    private static double residentMib(List<String> command, Path log, Options o) throws Exception {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            Thread.sleep(Duration.ofSeconds(o.settleSeconds()));
            double[] samples = new double[o.sampleSeconds()];
            for (int i = 0; i < samples.length; i++) {
                // The launcher execs Java, so the process started is the JVM itself.
                if (!p.isAlive()) throw new IllegalStateException(command + " exited: " + Files.readString(log));
                samples[i] = rssKib(p.pid()) / 1024.0;
                Thread.sleep(1000);
            }
            return Samples.of(samples).median();
        } finally {
            p.toHandle().destroy(); // SIGTERM: the agent deregisters
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
    }

    private static long rssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS for process " + pid);
    }

    private static String render(Map<Mode, List<Double>> mib, Options o, Duration took, String loadAtStart) {
        Map<Mode, Samples> s = new EnumMap<>(Mode.class);
        mib.forEach((m, list) -> s.put(
                m, Samples.of(list.stream().mapToDouble(Double::doubleValue).toArray())));
        StringBuilder out = new StringBuilder();
        out.append("## agent-footprint: an idle agent's memory against a bare long-poll loop\n\n");
        out.append("Command: `bench/run agent-footprint`. One embedded server; each mode is a process of its own that")
                .append(" registers with the pool token, long-polls and pings with nothing queued, ")
                .append(o.rounds())
                .append(" rounds interleaved. After ")
                .append(o.settleSeconds())
                .append(" s its resident memory (`VmRSS`) is read every second for ")
                .append(o.sampleSeconds())
                .append(" s; a round's figure is the median, the table the median of the rounds. The agent's JVM")
                .append(" options: `")
                .append(String.join(" ", AGENT_JVM_OPTIONS))
                .append("` (the launcher's default, `IAC_AGENT_JAVA_OPTS` replaces it).\n\n");
        for (Mode m : Mode.values())
            out.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        out.append("\n| mode | rounds | median RSS | least – most |\n|---|---:|---:|---:|\n");
        for (Mode m : Mode.values()) {
            Samples x = s.get(m);
            out.append(String.format(
                    java.util.Locale.ROOT,
                    "| %s | %d | **%.1f MiB** | %.1f – %.1f |%n",
                    m.label,
                    x.count(),
                    x.median(),
                    x.min(),
                    x.max()));
        }
        double agent = s.get(Mode.AGENT).median();
        out.append(String.format(
                java.util.Locale.ROOT,
                "%nAgent / bare loop: **×%.2f** against the loop with the JVM's defaults (goal, issue 20: ×1.25 or"
                        + " less), ×%.2f against the loop with the agent's options (what the agent's own code and"
                        + " libraries cost).%n%n",
                agent / s.get(Mode.LOOP_DEFAULT).median(),
                agent / s.get(Mode.LOOP_AGENT_OPTIONS).median()));
        out.append(
                BenchEnv.runFooter(took, "The server, its embedded PostgreSQL and the measured process", loadAtStart));
        return out.toString();
    }
}
