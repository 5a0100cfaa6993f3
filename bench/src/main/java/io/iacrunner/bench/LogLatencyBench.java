package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.count;
import static io.iacrunner.bench.Samples.ms;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Line latency from Terraform's output to a reader, with a real in-process agent running the machine's real
 * Terraform: a {@code plan_apply} whose {@code local-exec} prints numbered lines, each carrying the wall-clock time
 * (ns) at which it was printed. Two modes, interleaved: a WebSocket viewer watching from before the task starts, and
 * nobody watching. In both, the bench also polls the stored log every 10 ms, which is how "stored" is timed.
 */
public final class LogLatencyBench {
    static final String NAME = "log-latency";
    private static final Duration POLL_EVERY = Duration.ofMillis(10);
    private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
    /** What each printed line carries, after Terraform's "terraform_data.lines (local-exec): " prefix. */
    private static final Pattern PRINTED = Pattern.compile("iac-bench-line (\\d+) (\\d{12,})");

    private LogLatencyBench() {}

    record Options(int lines, int intervalMillis, int rounds, Path terraform, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int lines = 2_000;
            int interval = 5;
            int rounds = 2;
            Path terraform = null;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--lines" -> lines = Integer.parseInt(args.get(++i));
                    case "--interval-ms" -> interval = Integer.parseInt(args.get(++i));
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--terraform" -> terraform = Path.of(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (lines < 1 || interval < 0 || rounds < 1)
                throw new IllegalArgumentException("--lines, --rounds >= 1; --interval-ms >= 0");
            return new Options(lines, interval, rounds, terraform != null ? terraform : findTerraform(), doc);
        }
    }

    enum Mode {
        VIEWER(
                "with a viewer",
                "a WebSocket viewer on `/ws/logs?task_id=…&offset=0` (admin token) connects right after"
                        + " the task is created, seconds before Terraform's first line of the apply"),
        NO_VIEWER("without viewers", "nobody is connected to `/ws/logs` while the task runs");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /**
     * One task's figures, in milliseconds per printed line: to the live viewer (viewer mode only) and to the store as
     * the 10 ms poll first saw it. {@code printedPerSecond}: the rate Terraform actually printed at.
     */
    record Run(
            Mode mode,
            Samples toViewer,
            Samples toStored,
            int viewerFrames,
            int pollsWithNewLines,
            double printedPerSecond) {}

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        System.err.printf(
                "log-latency: %,d lines per run, every %d ms, %d rounds per mode, terraform %s%n",
                o.lines(), o.intervalMillis(), o.rounds(), o.terraform());
        Path data = BenchEnv.tempDir(NAME);
        Map<Mode, List<Run>> runs = new EnumMap<>(Mode.class);
        try (IacServer server = IacServer.start(ServerConfig.builder()
                .port(0)
                .dataDir(data)
                .autoApplyDefault(true) // its applies run at once, as before plan review
                .build())) {
            AgentConfig agentConfig = AgentConfig.builder(server.baseUrl(), server.agentTokenFile())
                    .name("bench-agent")
                    .workDir(Files.createDirectories(data.resolve("agent-work")))
                    .terraform(o.terraform())
                    .pullWait(Duration.ofSeconds(5))
                    .build();
            Agent agent = new Agent(agentConfig);
            try {
                agent.start();
                Tasks tasks = new Tasks(server);
                // Uncounted: the first task warms up Terraform's plugin cache and the JIT of server and agent.
                tasks.measure(Mode.NO_VIEWER, Math.min(100, o.lines()), o.intervalMillis());
                System.err.println("log-latency: warmed up");
                for (int r = 0; r < o.rounds(); r++) {
                    // Alternating which mode goes first, so neither always runs on a fresher (or more tired) machine.
                    for (int k = 0; k < Mode.values().length; k++) {
                        Mode mode = Mode.values()[(r + k) % Mode.values().length];
                        Run run = tasks.measure(mode, o.lines(), o.intervalMillis());
                        runs.computeIfAbsent(mode, m -> new ArrayList<>()).add(run);
                        System.err.printf(
                                "log-latency: round %d %-16s viewer median %s p99 %s | stored median %s p99 %s"
                                        + " | %.0f lines/s printed%n",
                                r + 1,
                                mode.label,
                                run.toViewer() == null ? "-" : ms(run.toViewer().median()),
                                run.toViewer() == null ? "-" : ms(run.toViewer().percentile(99)),
                                ms(run.toStored().median()),
                                ms(run.toStored().percentile(99)),
                                run.printedPerSecond());
                    }
                }
            } finally {
                agent.close();
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(o.doc(), NAME, render(runs, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    static Path findTerraform() {
        return Stream.concat(
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                                .filter(p -> !p.isEmpty())
                                .map(p -> Path.of(p, "terraform")),
                        Stream.of(Path.of("/usr/local/bin/terraform")))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "no terraform on PATH or in /usr/local/bin: pass --terraform PATH"));
    }

    /** A configuration whose apply prints {@code lines} lines {@code intervalMillis} apart, each with its print time. */
    static ObjectNode printingConfig(int lines, int intervalMillis) {
        ObjectNode root = WireJson.lenient().createObjectNode();
        ObjectNode resource =
                root.putObject("resource").putObject("terraform_data").putObject("lines");
        resource.put("input", lines + "@" + intervalMillis);
        String sleep = intervalMillis == 0 ? "" : String.format(Locale.ROOT, " sleep %.3f;", intervalMillis / 1000.0);
        resource.putObject("provisioner")
                .putObject("local-exec")
                .put(
                        "command",
                        "for i in $(seq 1 " + lines + "); do echo \"iac-bench-line $i $(date +%s%N)\";" + sleep
                                + " done");
        return root;
    }

    /** Wall-clock time in ns since the epoch: the clock `date +%s%N` reads, so the two subtract. */
    private static long wallNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Creates the printing tasks and takes their measurements. */
    private static final class Tasks {
        final IacServer server;
        final String adminToken;
        final ApiClient admin;
        final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        int created;

        Tasks(IacServer server) throws Exception {
            this.server = server;
            this.adminToken = Files.readString(server.adminTokenFile()).trim();
            this.admin = new ApiClient(server.baseUrl(), () -> adminToken);
        }

        Run measure(Mode mode, int lines, int intervalMillis) throws Exception {
            // A workspace of its own: in one with state, terraform_data would exist already and print nothing.
            TaskView task = admin.post(
                    ApiPaths.TASKS,
                    new CreateTaskRequest(
                            "bench-latency-" + (++created),
                            TaskAction.PLAN_APPLY,
                            printingConfig(lines, intervalMillis),
                            null,
                            null,
                            null,
                            null,
                            null),
                    TaskView.class);
            String query = "?task_id=" + URLEncoder.encode(task.taskId(), StandardCharsets.UTF_8) + "&offset=0";
            Arrivals viewer = new Arrivals(lines);
            CompletableFuture<ViewerFrame> end = new CompletableFuture<>();
            TextSocket live = mode == Mode.VIEWER
                    ? TextSocket.open(http, server.baseUrl(), ApiPaths.WS_VIEWER + query, adminToken, text -> {
                        long now = wallNanos(); // before parsing: the frame is here
                        viewer.frame(text, now, end);
                    })
                    : null;
            Arrivals stored;
            try {
                stored = poll(task.taskId(), lines);
                if (live != null) end.get(30, TimeUnit.SECONDS);
            } finally {
                if (live != null) live.close();
            }
            TaskView done = admin.get(ApiPaths.fill(ApiPaths.TASK, task.taskId()), TaskView.class);
            if (done.status() != TaskStatus.SUCCEEDED || !done.logComplete()) {
                throw new IllegalStateException(
                        "task " + task.taskId() + " ended " + done.status().wireName() + " (log complete: "
                                + done.logComplete() + "): " + done.message() + "\n"
                                + admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, task.taskId())));
            }
            stored.requireAll("the 10 ms poll of the stored log");
            if (live != null) {
                viewer.requireAll("the live viewer");
            } else {
                // Nobody watched; a viewer connecting now must still get every line from the store, then the end.
                Arrivals replay = new Arrivals(lines);
                CompletableFuture<ViewerFrame> replayEnd = new CompletableFuture<>();
                TextSocket late = TextSocket.open(
                        http,
                        server.baseUrl(),
                        ApiPaths.WS_VIEWER + query,
                        adminToken,
                        text -> replay.frame(text, wallNanos(), replayEnd));
                try {
                    replayEnd.get(30, TimeUnit.SECONDS);
                } finally {
                    late.close();
                }
                replay.requireAll("a viewer connecting after the end");
            }
            return new Run(
                    mode,
                    live == null ? null : viewer.latencies(),
                    stored.latencies(),
                    viewer.frames,
                    stored.frames,
                    stored.printedPerSecond());
        }

        /**
         * Reads {@code GET …/logs?offset=N} every 10 ms from the task's creation until it has ended and every line is
         * read. A line counts as stored when the first page holding it returns; the poll is not a viewer, so the agent
         * is not told that anyone watches.
         */
        private Arrivals poll(String taskId, int lines) throws Exception {
            Arrivals arrivals = new Arrivals(lines);
            long offset = 0;
            long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
            while (true) {
                long began = System.nanoTime();
                LogPage page = admin.get(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + "?offset=" + offset + "&limit=10000",
                        LogPage.class);
                long now = wallNanos();
                arrivals.lines(page.lines(), now);
                offset = page.nextOffset();
                if (page.lines().isEmpty() && page.taskStatus().isTerminal()) return arrivals;
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("task " + taskId + " still not done after " + RUN_LIMIT);
                long rest = POLL_EVERY.toNanos() - (System.nanoTime() - began);
                if (rest > 0) TimeUnit.NANOSECONDS.sleep(rest);
            }
        }
    }

    /** When each printed line first reached one reader, against the time printed in it. */
    private static final class Arrivals {
        final long[] printedAt;
        final long[] arrivedAt;
        int frames;

        Arrivals(int lines) {
            printedAt = new long[lines + 1];
            arrivedAt = new long[lines + 1];
        }

        /** A viewer frame: lines, the end, or a refusal (which fails the run). */
        void frame(String text, long now, CompletableFuture<ViewerFrame> end) {
            try {
                if (text.startsWith("{\"error\"")) {
                    end.completeExceptionally(new IllegalStateException("viewer refused: " + text));
                    return;
                }
                ViewerFrame frame = WireJson.lenient().readValue(text, ViewerFrame.class);
                if (ViewerFrame.END.equals(frame.type())) {
                    end.complete(frame);
                } else if (frame.lines() != null) {
                    lines(frame.lines(), now);
                }
            } catch (Exception e) {
                end.completeExceptionally(e);
            }
        }

        /** Counts a delivery that brought new lines; lines that are not the bench's (Terraform's own) are ignored. */
        void lines(List<LogLine> delivered, long now) {
            boolean fresh = false;
            for (LogLine line : delivered) {
                Matcher m = PRINTED.matcher(line.line());
                if (!m.find()) continue;
                int i = Integer.parseInt(m.group(1));
                if (i < 1 || i >= arrivedAt.length || arrivedAt[i] != 0) continue;
                printedAt[i] = Long.parseLong(m.group(2));
                arrivedAt[i] = now;
                fresh = true;
            }
            if (fresh) frames++;
        }

        void requireAll(String reader) {
            long missing = Arrays.stream(arrivedAt, 1, arrivedAt.length)
                    .filter(t -> t == 0)
                    .count();
            if (missing > 0)
                throw new IllegalStateException(
                        reader + " missed " + missing + " of " + (arrivedAt.length - 1) + " lines");
        }

        Samples latencies() {
            double[] ms = new double[arrivedAt.length - 1];
            for (int i = 1; i < arrivedAt.length; i++) ms[i - 1] = (arrivedAt[i] - printedAt[i]) / 1e6;
            return Samples.of(ms);
        }

        double printedPerSecond() {
            int n = printedAt.length - 1;
            return n < 2 ? Double.NaN : (n - 1) * 1e9 / (printedAt[n] - printedAt[1]);
        }
    }

    private static String render(Map<Mode, List<Run>> runs, Options o, Duration took, String loadAtStart) {
        StringBuilder s = new StringBuilder();
        s.append("## log-latency: from Terraform's output to a viewer, with and without viewers\n\n");
        s.append(
                        "Command: `bench/run log-latency`. A real agent (in the bench's process) runs the machine's real Terraform")
                .append(
                        " for `plan_apply` tasks on an embedded server on loopback. Each task's apply runs a `terraform_data`")
                .append(" `local-exec` that prints ")
                .append(count(o.lines()))
                .append(" lines, `echo \"iac-bench-line $i $(date")
                .append(" +%s%N)\"` then `sleep ")
                .append(String.format(Locale.ROOT, "%.3f", o.intervalMillis() / 1000.0))
                .append(
                        "`, so every line carries the wall-clock time it was printed at, in ns. A line's latency is the")
                .append(" time it reached the reader minus that time (same machine, same clock). ")
                .append(o.rounds())
                .append(" tasks per mode, the modes alternating, after one uncounted warm-up task:\n\n");
        for (Mode m : Mode.values())
            s.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        s.append("\nTwo readers are timed:\n\n")
                .append(
                        "- **to the viewer**: when the WebSocket frame holding the line arrived at the viewer (viewer mode only).\n")
                .append(
                        "- **to the store**: when a page of `GET /api/v1/tasks/{id}/logs?offset=N`, read by the bench every")
                .append(" ")
                .append(POLL_EVERY.toMillis())
                .append(" ms in both modes, first held the line (timed when the")
                .append(" reply had been read). This is the only honest way to time \"stored\" with nobody watching:")
                .append(
                        " `log_chunks` has no commit-time column, and a viewer connected after the end would only prove")
                .append(" the log complete (the bench checks that too).")
                .append(" The poll is not a viewer (the agent's acks do not count it), so it does not change what it")
                .append(" measures, but it adds up to ")
                .append(POLL_EVERY.toMillis())
                .append(" ms (on average half that)")
                .append(" plus the page request to each figure.\n\n");
        s.append("| mode | tasks | lines | to viewer: median | p99 | max | to store: median | p99 | max")
                .append(" | deliveries with new lines per task | printed lines/s |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Mode m : Mode.values()) {
            List<Run> list = runs.get(m);
            Samples viewer =
                    m == Mode.VIEWER ? merged(list.stream().map(Run::toViewer).toList()) : null;
            Samples stored = merged(list.stream().map(Run::toStored).toList());
            String deliveries = m == Mode.VIEWER
                    ? "viewer "
                            + count(list.stream()
                                    .mapToInt(Run::viewerFrames)
                                    .average()
                                    .orElse(0)) + ", poll "
                            + count(list.stream()
                                    .mapToInt(Run::pollsWithNewLines)
                                    .average()
                                    .orElse(0))
                    : "poll "
                            + count(list.stream()
                                    .mapToInt(Run::pollsWithNewLines)
                                    .average()
                                    .orElse(0));
            s.append("| ")
                    .append(m.label)
                    .append(" | ")
                    .append(list.size())
                    .append(" | ")
                    .append(count(stored.count()))
                    .append(" | ")
                    .append(viewer == null ? "–" : "**" + ms(viewer.median()) + "**")
                    .append(" | ")
                    .append(viewer == null ? "–" : ms(viewer.percentile(99)))
                    .append(" | ")
                    .append(viewer == null ? "–" : ms(viewer.max()))
                    .append(" | **")
                    .append(ms(stored.median()))
                    .append("** | ")
                    .append(ms(stored.percentile(99)))
                    .append(" | ")
                    .append(ms(stored.max()))
                    .append(" | ")
                    .append(deliveries)
                    .append(" | ")
                    .append(count(list.stream()
                            .mapToDouble(Run::printedPerSecond)
                            .average()
                            .orElse(Double.NaN)))
                    .append(" |\n");
        }
        s.append("\nThe median of each task, in the order they ran: ");
        for (Mode m : Mode.values()) {
            List<Run> list = runs.get(m);
            s.append(m.label).append(" ");
            if (m == Mode.VIEWER) {
                s.append(String.join(
                                ", ",
                                list.stream()
                                        .map(r -> ms(r.toViewer().median()))
                                        .toList()))
                        .append(" to the viewer and ");
            }
            s.append(String.join(
                            ", ",
                            list.stream().map(r -> ms(r.toStored().median())).toList()))
                    .append(" to the store")
                    .append(m.ordinal() == Mode.values().length - 1 ? ".\n" : "; ");
        }
        s.append(
                        "\nWhat sets these figures: Terraform relays the `local-exec` output line by line; the agent reads each")
                .append(
                        " line and ships batches to the server, one in flight, after a flush delay it chooses itself from the")
                .append(
                        " `viewers` count in the server's acks (meant to be about 50 ms while someone watches and about 1 s")
                .append(
                        " while nobody does); the server commits each batch and wakes the task's viewers, which read the new")
                .append(
                        " lines from the store. The bench runs the agent with its defaults and only observes the outcome, so")
                .append(
                        " the difference between the rows is the agent's policy as built. \"Deliveries with new lines\" counts")
                .append(
                        " viewer frames and poll replies that brought new lines: about the number of commits, except that")
                .append(" the poll cannot see more than one per ")
                .append(POLL_EVERY.toMillis())
                .append(" ms.\n\n");
        s.append(BenchEnv.runFooter(
                took, "Server, embedded PostgreSQL, agent, Terraform and the bench's readers", loadAtStart));
        return s.toString();
    }

    private static Samples merged(List<Samples> parts) {
        return Samples.of(
                parts.stream().flatMapToDouble(p -> Arrays.stream(p.sorted())).toArray());
    }
}
