package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.count;
import static io.iacrunner.bench.Samples.ms;
import static io.iacrunner.bench.Samples.ratio;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Log ingest throughput into PostgreSQL: the server's append path (over HTTP and over the agent's WebSocket) against
 * a plain JDBC batch insert of the same lines into the same PostgreSQL, interleaved in one run.
 *
 * <p>"The same PostgreSQL": the server does not expose its embedded database, so the bench starts one from the same
 * library with the same settings as the server's embedded store and hands its URL to the server
 * ({@link ServerConfig#withDatabase}); the JDBC baseline connects to that very instance.
 */
public final class LogIngestBench {
    static final String NAME = "log-ingest";
    private static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    /** Warm-up lines per mode, not counted: JIT compilation and first connections belong to no mode. */
    private static final int WARMUP_LINES = 100_000;

    private static final String WORKSPACE = "bench-ingest";

    private LogIngestBench() {}

    record Options(int lines, int batchLines, int rounds, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int lines = 200_000;
            int batch = 1_000;
            int rounds = 3;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--lines" -> lines = Integer.parseInt(args.get(++i));
                    case "--batch" -> batch = Integer.parseInt(args.get(++i));
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (lines < 1 || rounds < 1 || batch < 1 || batch > 5_000) {
                throw new IllegalArgumentException("--lines, --rounds >= 1; --batch 1..5000 (the server's limit)");
            }
            return new Options(lines, batch, rounds, doc);
        }
    }

    enum Mode {
        HTTP("server, HTTP", "`POST /api/v1/tasks/{id}/logs` with a `LogBatch` (the agent's fallback upload)"),
        WEBSOCKET(
                "server, WebSocket",
                "the same `LogBatch` as a text frame on `/ws/agent/logs?task_id=…&attempt=1`,"
                        + " each answered by a `LogAck` frame before the next is sent (the agent's default upload)"),
        JDBC(
                "plain JDBC",
                "`INSERT` of one row per line into `bench_log_lines(task_id, seq, ts, stream, line)`, primary"
                        + " key `(task_id, seq)`, with `addBatch` per line and `executeBatch` + `commit` per batch, one connection");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** One timed pass of one mode over all lines: the elapsed time and each batch's own time. */
    record Round(Mode mode, long lines, long nanos, double[] batchMillis) {
        double linesPerSecond() {
            return lines * 1e9 / nanos;
        }
    }

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        System.err.printf(
                "log-ingest: %,d lines per round, %,d per batch, %d rounds per mode%n",
                o.lines(), o.batchLines(), o.rounds());
        Workload workload = new Workload(TerraformLikeLines.generate(o.lines()), o.batchLines());
        Path data = BenchEnv.tempDir(NAME);
        Map<Mode, List<Round>> rounds = new EnumMap<>(Mode.class);
        try (EmbeddedPostgres pg = startPostgres(data.resolve("pg"));
                IacServer server = IacServer.start(ServerConfig.builder()
                        .port(0)
                        .dataDir(data)
                        .database(jdbcUrl(pg), "postgres", null)
                        .pingInterval(PING_INTERVAL)
                        .build());
                Connection jdbc = DriverManager.getConnection(jdbcUrl(pg), "postgres", null)) {
            Runner runner = new Runner(server, jdbc, workload);
            SimulatedAgent agent = runner.agent;
            AutoCloseable pinging = SimulatedAgent.pingInBackground(List.of(agent), PING_INTERVAL);
            try {
                for (Mode mode : Mode.values()) runner.run(mode, Math.min(WARMUP_LINES, o.lines()));
                System.err.println("log-ingest: warmed up");
                for (int r = 0; r < o.rounds(); r++) {
                    // Each round starts with a different mode, so none always runs first (or last) in a round.
                    for (int k = 0; k < Mode.values().length; k++) {
                        Mode mode = Mode.values()[(r + k) % Mode.values().length];
                        Round round = runner.run(mode, o.lines());
                        rounds.computeIfAbsent(mode, m -> new ArrayList<>()).add(round);
                        System.err.printf(
                                "log-ingest: round %d %-18s %,10.0f lines/s  (%.1f s)%n",
                                r + 1, mode.label, round.linesPerSecond(), round.nanos() / 1e9);
                    }
                }
            } finally {
                pinging.close();
                agent.deregister();
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(
                o.doc(), NAME, render(rounds, workload, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    /** The server's embedded store, as {@code EmbeddedPostgresProcess} starts it (zonky's defaults, 200 connections). */
    private static EmbeddedPostgres startPostgres(Path dir) throws Exception {
        Files.createDirectories(dir);
        return EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(true)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("max_connections", "200")
                .start();
    }

    private static String jdbcUrl(EmbeddedPostgres pg) {
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
    }

    /**
     * The lines, cut into batches, with each batch's JSON encoded once up front: the figure is the ingest path's, not
     * the client's JSON encoder's (which the real agent runs on another machine, or at least not in the same loop).
     */
    static final class Workload {
        final List<LogLine> lines;
        final int batchLines;
        final List<String> json = new ArrayList<>();
        final List<byte[]> bytes = new ArrayList<>();

        Workload(List<LogLine> lines, int batchLines) throws Exception {
            this.lines = lines;
            this.batchLines = batchLines;
            ObjectMapper mapper = WireJson.lenient();
            for (int from = 0; from < lines.size(); from += batchLines) {
                List<LogLine> batch = lines.subList(from, Math.min(lines.size(), from + batchLines));
                String text = mapper.writeValueAsString(new LogBatch(1, from, batch));
                json.add(text);
                bytes.add(text.getBytes(StandardCharsets.UTF_8));
            }
        }

        int batches(int lineCount) {
            return (lineCount + batchLines - 1) / batchLines;
        }

        double meanLineChars() {
            return lines.stream().mapToInt(l -> l.line().length()).average().orElse(0);
        }

        double meanBatchBytes() {
            return bytes.stream().mapToInt(b -> b.length).average().orElse(0);
        }

        /** What the agent reports at the end: SHA-256 over each of the first {@code count} lines plus "\n". */
        String sha256(int count) throws Exception {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (LogLine line : lines.subList(0, count))
                sha.update((line.line() + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    /** Runs one mode over the first N lines; only the batches are timed, never the setup or the checks after. */
    private static final class Runner {
        final IacServer server;
        final Connection jdbc;
        final Workload workload;
        final ApiClient admin;
        final SimulatedAgent agent;
        final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final ObjectNode tfJson;
        int jdbcRuns;

        Runner(IacServer server, Connection jdbc, Workload workload) throws Exception {
            this.server = server;
            this.jdbc = jdbc;
            this.workload = workload;
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            this.admin = new ApiClient(server.baseUrl(), () -> adminToken);
            this.agent = SimulatedAgent.register(server, "bench-ingest");
            this.tfJson = (ObjectNode)
                    WireJson.lenient().readTree("{\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"bench\"}}}}");
            try (Statement s = jdbc.createStatement()) {
                s.execute("""
                        create table bench_log_lines (
                            task_id text not null, seq bigint not null, ts timestamptz not null, stream text not null,
                            line text not null, primary key (task_id, seq))""");
            }
            jdbc.setAutoCommit(false); // from here on, each batch commits explicitly
        }

        Round run(Mode mode, int lineCount) throws Exception {
            return switch (mode) {
                case HTTP, WEBSOCKET -> throughServer(mode, lineCount);
                case JDBC -> throughJdbc(lineCount);
            };
        }

        /** A fresh plan task claimed by the simulated agent, its log sent batch by batch, one in flight. */
        private Round throughServer(Mode mode, int lineCount) throws Exception {
            TaskAssignment task = claimNewTask();
            if (task.attempt() != 1) throw new IllegalStateException("expected attempt 1, got " + task.attempt());
            int batches = workload.batches(lineCount);
            double[] batchMillis = new double[batches];
            long began;
            long took;
            if (mode == Mode.HTTP) {
                URI uri = server.baseUrl().resolve(ApiPaths.fill(ApiPaths.TASK_LOGS, task.taskId()));
                began = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> reply = http.send(
                            HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(60))
                                    .header("Content-Type", "application/json")
                                    .header("Authorization", "Bearer " + task.jobToken())
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(workload.bytes.get(b)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (reply.statusCode() != 200) {
                        throw new IllegalStateException(
                                "batch " + b + ": HTTP " + reply.statusCode() + " " + reply.body());
                    }
                    expectCommitted(reply.body(), b, lineCount);
                    batchMillis[b] = (System.nanoTime() - t0) / 1e6;
                }
                took = System.nanoTime() - began;
            } else {
                BlockingQueue<String> replies = new LinkedBlockingQueue<>();
                String query = ApiPaths.WS_AGENT_LOGS + "?task_id="
                        + URLEncoder.encode(task.taskId(), StandardCharsets.UTF_8) + "&attempt=" + task.attempt();
                try (TextSocket ws = TextSocket.open(http, server.baseUrl(), query, task.jobToken(), replies::add)) {
                    began = System.nanoTime();
                    for (int b = 0; b < batches; b++) {
                        long t0 = System.nanoTime();
                        ws.send(workload.json.get(b));
                        String reply = replies.poll(60, TimeUnit.SECONDS);
                        if (reply == null) {
                            throw new IllegalStateException("batch " + b + ": no ack within 60 s"
                                    + (ws.closed().isDone()
                                            ? "; closed: " + ws.closed().getNow("")
                                            : ""));
                        }
                        expectCommitted(reply, b, lineCount);
                        batchMillis[b] = (System.nanoTime() - t0) / 1e6;
                    }
                    took = System.nanoTime() - began;
                }
            }
            // Proof that every line was stored as sent: the server recomputes count and digest from its chunks.
            TaskView done = agent.succeed(task, lineCount, workload.sha256(lineCount));
            if (!done.logComplete())
                throw new IllegalStateException(mode.label + ": the server's stored log is not complete");
            return new Round(mode, lineCount, took, batchMillis);
        }

        private TaskAssignment claimNewTask() {
            TaskView created = admin.post(
                    ApiPaths.TASKS,
                    new CreateTaskRequest(WORKSPACE, TaskAction.PLAN, tfJson, null, null, null, null, null),
                    TaskView.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (TaskAssignment t : agent.pull(5).tasks()) {
                    // Every earlier task was reported done, so this one is the only task there is to pull.
                    if (!t.taskId().equals(created.taskId()))
                        throw new IllegalStateException("pulled an unexpected task " + t.taskId());
                    return t;
                }
            }
            throw new IllegalStateException("task " + created.taskId() + " was not handed to the bench's agent");
        }

        /** Every batch is acknowledged with all lines up to its end: one in flight, nothing skipped or refused. */
        private void expectCommitted(String replyJson, int batch, int lineCount) throws Exception {
            if (replyJson.startsWith("{\"error\""))
                throw new IllegalStateException("batch " + batch + " refused: " + replyJson);
            LogAck ack = WireJson.lenient().readValue(replyJson, LogAck.class);
            long expected = Math.min((long) (batch + 1) * workload.batchLines, lineCount);
            if (ack.committedLines() != expected) {
                throw new IllegalStateException(
                        "batch " + batch + ": committed " + ack.committedLines() + ", expected " + expected);
            }
        }

        /** The baseline: the same lines as rows, one transaction per batch, on one connection of its own. */
        private Round throughJdbc(int lineCount) throws Exception {
            String taskId = "jdbc-" + (++jdbcRuns);
            // Empty before every run, so the table (and its index) is the same size whichever round this is.
            try (Statement s = jdbc.createStatement()) {
                s.execute("truncate bench_log_lines");
            }
            jdbc.commit();
            int batches = workload.batches(lineCount);
            double[] batchMillis = new double[batches];
            long began;
            long took;
            try (PreparedStatement insert = jdbc.prepareStatement(
                    "insert into bench_log_lines (task_id, seq, ts, stream, line) values (?, ?, ?, ?, ?)")) {
                began = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    long t0 = System.nanoTime();
                    int from = b * workload.batchLines;
                    for (LogLine line : workload.lines.subList(from, Math.min(lineCount, from + workload.batchLines))) {
                        insert.setString(1, taskId);
                        insert.setLong(2, line.seq());
                        insert.setObject(3, OffsetDateTime.ofInstant(line.ts(), ZoneOffset.UTC));
                        insert.setString(4, line.stream().name().toLowerCase(Locale.ROOT));
                        insert.setString(5, line.line());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                    jdbc.commit();
                    batchMillis[b] = (System.nanoTime() - t0) / 1e6;
                }
                took = System.nanoTime() - began;
            }
            try (PreparedStatement stored =
                    jdbc.prepareStatement("select count(*) from bench_log_lines where task_id = ?")) {
                stored.setString(1, taskId);
                try (ResultSet rs = stored.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) != lineCount)
                        throw new IllegalStateException("JDBC stored " + rs.getLong(1) + " of " + lineCount);
                }
            }
            jdbc.commit();
            return new Round(Mode.JDBC, lineCount, took, batchMillis);
        }
    }

    private static String render(
            Map<Mode, List<Round>> rounds, Workload w, Options o, Duration took, String loadAtStart) {
        Map<Mode, Samples> rates = new EnumMap<>(Mode.class);
        Map<Mode, Samples> batchTimes = new EnumMap<>(Mode.class);
        rounds.forEach((mode, list) -> {
            rates.put(
                    mode,
                    Samples.of(list.stream().mapToDouble(Round::linesPerSecond).toArray()));
            batchTimes.put(
                    mode,
                    Samples.of(list.stream()
                            .flatMapToDouble(r -> Arrays.stream(r.batchMillis()))
                            .toArray()));
        });
        StringBuilder s = new StringBuilder();
        s.append("## log-ingest: log lines into PostgreSQL, the server's append path vs plain JDBC\n\n");
        s.append("Command: `bench/run log-ingest`. Measured: lines per second stored in PostgreSQL when ")
                .append(count(o.lines()))
                .append(" Terraform-like lines (")
                .append(TerraformLikeLines.MIN_CHARS)
                .append("-")
                .append(TerraformLikeLines.MAX_CHARS)
                .append(" characters, mean ")
                .append(String.format(Locale.ROOT, "%.0f", w.meanLineChars()))
                .append("; about one in eight on stderr) are sent in batches of ")
                .append(count(o.batchLines()))
                .append(" with one batch in flight, as the agent sends them. Three modes, each ")
                .append(o.rounds())
                .append(
                        " times, interleaved (each round starts with a different mode) after one uncounted warm-up pass of ")
                .append(count(Math.min(WARMUP_LINES, o.lines())))
                .append(" lines per mode, all against one PostgreSQL:\n\n");
        for (Mode m : Mode.values())
            s.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        s.append(
                        "\nThe server modes include everything the server does for an agent's batch: the HTTP request (with the")
                .append(
                        " job token's ES256 signature checked on every request) or the WebSocket frame (token checked once,")
                .append(
                        " at connect), strict JSON parsing and validation (contiguous seqs, line cleaning, the secret-masking")
                .append(
                        " pass, with no secrets configured here), and one transaction that locks the task row (the attempt fence,")
                .append(
                        " `select … for update`), inserts the batch as **one** `log_chunks` row (a compact JSON array of the")
                .append(" batch's lines), updates `tasks.log_lines`, commits, wakes viewers and answers `LogAck`. The")
                .append(
                        " server therefore writes one row per batch, not one per line. Plain JDBC does only the insert of")
                .append(" one row per line and the commit. Each batch's JSON (mean ")
                .append(String.format(Locale.ROOT, "%.0f", w.meanBatchBytes() / 1024))
                .append(" KiB) is encoded")
                .append(
                        " once before timing, so the client's encoding is in no figure; the lines' objects are likewise")
                .append(
                        " ready in memory for JDBC. After each server round the simulated agent reports the result with")
                .append(
                        " the lines' SHA-256 and the server confirms the stored log complete; after each JDBC round the")
                .append(" row count is checked. Neither check is timed.\n\n");
        s.append(
                        "| mode | rounds | median lines/s | slowest – fastest round | median per batch | p99 per batch | rows per batch |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Mode m : Mode.values()) {
            Samples r = rates.get(m);
            Samples b = batchTimes.get(m);
            s.append("| ")
                    .append(m.label)
                    .append(" | ")
                    .append(r.count())
                    .append(" | **")
                    .append(count(r.median()))
                    .append("** | ")
                    .append(count(r.min()))
                    .append(" – ")
                    .append(count(r.max()))
                    .append(" | ")
                    .append(ms(b.median()))
                    .append(" | ")
                    .append(ms(b.percentile(99)))
                    .append(" | ")
                    .append(m == Mode.JDBC ? count(o.batchLines()) : "1 (+ 1 update)")
                    .append(" |\n");
        }
        double jdbc = rates.get(Mode.JDBC).median();
        s.append("\nServer / plain JDBC (median lines/s): **HTTP ×")
                .append(ratio(rates.get(Mode.HTTP).median(), jdbc))
                .append("**, **WebSocket ×")
                .append(ratio(rates.get(Mode.WEBSOCKET).median(), jdbc))
                .append("**.\n\n");
        s.append(
                        "The same PostgreSQL for all: the server's embedded store is not reachable from outside the server, so")
                .append(
                        " the bench starts PostgreSQL from the same library with the server's settings (zonky's defaults,")
                .append(
                        " which include `synchronous_commit = off`, so a commit does not wait for its WAL flush, in every")
                .append(" mode alike) and points the server at it with `withDatabase`. The pgJDBC driver runs with its")
                .append(" defaults (no `reWriteBatchedInserts`).\n\n");
        s.append(BenchEnv.runFooter(took, "Server, PostgreSQL and the sending client", loadAtStart));
        return s.toString();
    }
}
