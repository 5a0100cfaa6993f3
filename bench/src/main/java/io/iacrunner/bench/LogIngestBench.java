package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.count;
import static io.iacrunner.bench.Samples.ratio;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.logs.LogChunkCodec;
import io.iacrunner.server.settings.ServerConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
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
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Log ingest throughput into PostgreSQL: the server's append path (over HTTP and over the agent's WebSocket) against
 * the server's own storage SQL run directly over JDBC and a COPY of the same lines into the same PostgreSQL, interleaved
 *
 * <p>"The same PostgreSQL": the server does not expose its embedded database, so the bench starts one from the same
 * library with the same settings as the server's embedded store and hands its URL to the server
 * ({@link ServerConfig#withDatabase}); the JDBC baselines connect to that very instance.
 */
public final class LogIngestBench {
    static final String NAME = "log-ingest";
    private static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    /** Warm-up lines per mode, not counted: JIT compilation and first connections belong to no mode. */
    private static final int WARMUP_LINES = 100_000;

    private static final String WORKSPACE = "bench-ingest";
    /** Batches the agent keeps in flight on its upload WebSocket ({@code LogShipper.BATCHES_IN_FLIGHT}). */
    static final int AGENT_WINDOW = 4;

    private LogIngestBench() {}

    record Options(int lines, int batchLines, int window, int rounds, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int lines = 200_000;
            int batch = 1_000;
            int window = AGENT_WINDOW;
            int rounds = 3;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--lines" -> lines = Integer.parseInt(args.get(++i));
                    case "--batch" -> batch = Integer.parseInt(args.get(++i));
                    case "--window" -> window = Integer.parseInt(args.get(++i));
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (lines < 1 || rounds < 1 || window < 1 || batch < 1 || batch > 5_000) {
                throw new IllegalArgumentException(
                        "--lines, --rounds, --window >= 1; --batch 1..5000 (the server's limit)");
            }
            return new Options(lines, batch, window, rounds, doc);
        }
    }

    enum Mode {
        HTTP("server, HTTP", "`POST /api/v1/tasks/{id}/logs` with a `LogBatch` (the agent's fallback upload)"),
        WEBSOCKET(
                "server, WebSocket",
                "the same `LogBatch` as a text frame on `/ws/agent/logs?task_id=…&attempt=1`,"
                        + " each answered by a `LogAck` frame before the next is sent (the agent's default upload)"),
        CHUNK_SQL(
                "server's SQL over JDBC",
                "the server's own storage work per batch and nothing else, on one JDBC connection: lock the task row"
                        + " (`select … for update`), insert the batch's chunk row (its JSON encoded before timing) with"
                        + " the attempt fence in its `WHERE`, update `tasks.log_lines`, commit: the server's storage limit"),
        COPY(
                "COPY, a row per line",
                "`COPY bench_log_lines (task_id, seq, ts, stream, line) FROM STDIN` per batch (its text encoded"
                        + " before timing) and a commit, one connection: PostgreSQL's fastest bulk path, a row per line");

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
        try (EmbeddedPostgres pg = BenchEnv.durablePostgres(data.resolve("pg"), true);
                IacServer server = IacServer.start(ServerConfig.builder()
                        .port(0)
                        .dataDir(data)
                        .database(BenchEnv.jdbcUrl(pg), "postgres", null)
                        .pingInterval(PING_INTERVAL)
                        .build());
                Connection jdbc = DriverManager.getConnection(BenchEnv.jdbcUrl(pg), "postgres", null)) {
            Runner runner = new Runner(server, jdbc, workload, o.window());
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

    /**
     * The lines, cut into batches, with each batch's JSON encoded once up front: the figure is the ingest path's, not
     * the client's JSON encoder's (which the real agent runs on another machine, or at least not in the same loop).
     */
    static final class Workload {
        final List<LogLine> lines;
        final int batchLines;
        final List<String> json = new ArrayList<>();
        final List<byte[]> bytes = new ArrayList<>();
        /** Each batch as the server stores it: one chunk row's text. */
        final List<String> chunks = new ArrayList<>();
        /** Each batch in COPY's text format, a row per line, for task id {@link #COPY_TASK}. */
        final List<byte[]> copyRows = new ArrayList<>();

        static final String COPY_TASK = "copy";

        Workload(List<LogLine> lines, int batchLines) throws Exception {
            this.lines = lines;
            this.batchLines = batchLines;
            ObjectMapper mapper = WireJson.lenient();
            for (int from = 0; from < lines.size(); from += batchLines) {
                List<LogLine> batch = lines.subList(from, Math.min(lines.size(), from + batchLines));
                String text = mapper.writeValueAsString(new LogBatch(1, from, batch));
                json.add(text);
                bytes.add(text.getBytes(StandardCharsets.UTF_8));
                chunks.add(LogChunkCodec.encode(batch));
                copyRows.add(copyText(batch));
            }
        }

        static byte[] copyText(List<LogLine> batch) {
            StringBuilder rows = new StringBuilder(batch.size() * 140);
            for (LogLine line : batch) {
                rows.append(COPY_TASK)
                        .append('\t')
                        .append(line.seq())
                        .append('\t')
                        .append(line.ts())
                        .append('\t')
                        .append(line.stream().name().toLowerCase(Locale.ROOT))
                        .append('\t');
                copyEscape(line.line(), rows);
                rows.append('\n');
            }
            return rows.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** COPY's text format: backslash, tab, newline and carriage return are escaped. */
        private static void copyEscape(String text, StringBuilder out) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '\\' -> out.append("\\\\");
                    case '\t' -> out.append("\\t");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    default -> out.append(c);
                }
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
        final int window;
        final ApiClient admin;
        final SimulatedAgent agent;
        final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Runner(IacServer server, Connection jdbc, Workload workload, int window) throws Exception {
            this.window = window;
            this.server = server;
            this.jdbc = jdbc;
            this.workload = workload;
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            this.admin = new ApiClient(server.baseUrl(), () -> adminToken);
            this.agent = SimulatedAgent.register(server, "bench-ingest");
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
                case CHUNK_SQL -> throughServersSql(lineCount);
                case COPY -> throughCopy(lineCount);
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
                    long[] sentAt = new long[batches];
                    int sent = 0;
                    for (int b = 0; b < batches; b++) {
                        // As the agent does: up to `window` batches sent ahead of their acks.
                        while (sent < batches && sent < b + window) {
                            sentAt[sent] = System.nanoTime();
                            ws.send(workload.json.get(sent++));
                        }
                        long t0 = sentAt[b];
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
            TaskView created = BenchTasks.queue(admin, WORKSPACE, TaskAction.PLAN);
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

        /**
         * The server's storage limit: a task claimed through the server as for the server modes, then exactly the
         * server's SQL per batch ({@code TaskStore.inAttempt}, {@code LogStore.appendChunk}, {@code
         * TaskStore.setLogLines}) over one JDBC connection, with the chunk's text ready. The server then checks the
         * stored log complete, as for the server modes: the baseline stores what the server would.
         */
        private Round throughServersSql(int lineCount) throws Exception {
            TaskAssignment task = claimNewTask();
            int batches = workload.batches(lineCount);
            double[] batchMillis = new double[batches];
            String fence = " task_id = ? and attempt = ? and agent_id = ? and status = 'running'";
            long began;
            long took;
            try (PreparedStatement lock = jdbc.prepareStatement("""
                            select task_id, workspace_id, action, status, attempt, agent_id, log_lines
                            from tasks where task_id = ? for update""");
                    PreparedStatement insert = jdbc.prepareStatement("""
                            insert into log_chunks (task_id, attempt, first_seq, line_count, lines)
                            select task_id, attempt, ?, ?, ? from tasks where """ + fence);
                    PreparedStatement count = jdbc.prepareStatement("update tasks set log_lines = ? where" + fence)) {
                began = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    long t0 = System.nanoTime();
                    long first = (long) b * workload.batchLines;
                    int size = (int) Math.min(workload.batchLines, lineCount - first);
                    lock.setString(1, task.taskId());
                    try (ResultSet row = lock.executeQuery()) {
                        if (!row.next() || row.getLong("log_lines") != first)
                            throw new IllegalStateException("batch " + b + ": the task row is not where it should be");
                    }
                    insert.setLong(1, first);
                    insert.setInt(2, size);
                    insert.setString(3, workload.chunks.get(b));
                    fence(insert, 4, task);
                    count.setLong(1, first + size);
                    fence(count, 2, task);
                    if (insert.executeUpdate() != 1 || count.executeUpdate() != 1)
                        throw new IllegalStateException("batch " + b + ": the fence refused the write");
                    jdbc.commit();
                    batchMillis[b] = (System.nanoTime() - t0) / 1e6;
                }
                took = System.nanoTime() - began;
            }
            TaskView done = agent.succeed(task, lineCount, workload.sha256(lineCount));
            if (!done.logComplete()) throw new IllegalStateException("server's SQL: the stored log is not complete");
            return new Round(Mode.CHUNK_SQL, lineCount, took, batchMillis);
        }

        private void fence(PreparedStatement statement, int from, TaskAssignment task) throws Exception {
            statement.setString(from, task.taskId());
            statement.setInt(from + 1, task.attempt());
            statement.setString(from + 2, agent.agentId);
        }

        /** PostgreSQL's bulk path: COPY of a row per line, one transaction per batch, on one connection. */
        private Round throughCopy(int lineCount) throws Exception {
            // Empty before every run, so the table (and its index) is the same size whichever round this is.
            try (Statement s = jdbc.createStatement()) {
                s.execute("truncate bench_log_lines");
            }
            jdbc.commit();
            CopyManager copy = jdbc.unwrap(PGConnection.class).getCopyAPI();
            int batches = workload.batches(lineCount);
            double[] batchMillis = new double[batches];
            long began = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                int from = b * workload.batchLines;
                int to = Math.min(lineCount, from + workload.batchLines);
                // A last batch cut short by lineCount (a warm-up pass) is encoded here, still before its timing.
                byte[] rows = to - from == workload.batchLines
                        ? workload.copyRows.get(b)
                        : Workload.copyText(workload.lines.subList(from, to));
                long t0 = System.nanoTime();
                copy.copyIn(
                        "copy bench_log_lines (task_id, seq, ts, stream, line) from stdin",
                        new ByteArrayInputStream(rows));
                jdbc.commit();
                batchMillis[b] = (System.nanoTime() - t0) / 1e6;
            }
            long took = System.nanoTime() - began;
            try (PreparedStatement stored = jdbc.prepareStatement("select count(*) from bench_log_lines")) {
                try (ResultSet rs = stored.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) != lineCount)
                        throw new IllegalStateException("COPY stored " + rs.getLong(1) + " of " + lineCount);
                }
            }
            jdbc.commit();
            return new Round(Mode.COPY, lineCount, took, batchMillis);
        }
    }

    private static String percent(double part, double whole) {
        return String.format(Locale.ROOT, "%.0f %%", 100 * part / whole);
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
        s.append("## log-ingest: log lines into PostgreSQL, the server's append path vs its own SQL and COPY\n\n");
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
                .append(" with one batch in flight, as the agent sends them. Four modes, each ")
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
                        " job token checked on every request, its HS256 signature once per token) or the WebSocket frame (token checked once,")
                .append(
                        " at connect), strict JSON parsing and validation (contiguous seqs, line cleaning, the secret-masking")
                .append(
                        " pass, with no secrets configured here), and one transaction that locks the task row (the attempt fence,")
                .append(
                        " `select … for update`), inserts the batch as **one** `log_chunks` row (a compact JSON array of the")
                .append(" batch's lines), updates `tasks.log_lines`, commits, wakes viewers and answers `LogAck`. The")
                .append(
                        " server therefore writes one row per batch, not one per line. The server's SQL over JDBC is that")
                .append(
                        " storage work alone: the ceiling of the server's design on this PostgreSQL, which the server's")
                .append(" own modes are measured against. Each batch's JSON (mean ")
                .append(String.format(Locale.ROOT, "%.0f", w.meanBatchBytes() / 1024))
                .append(" KiB) is encoded")
                .append(
                        " once before timing, so the client's encoding is in no figure; the lines' objects are likewise")
                .append(
                        " encoded before timing for the JDBC modes. After each round of the server and of its SQL the simulated")
                .append(
                        " agent reports the result with the lines' SHA-256 and the server confirms the stored log complete;")
                .append(" after each COPY round the row count is checked. No check is timed.\n\n");
        s.append(
                        "| mode | rounds | median lines/s | slowest – fastest round | median per batch | p99 per batch | rows per batch |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Mode m : Mode.values()) {
            s.append(Samples.rateRow(m.label, rates.get(m), batchTimes.get(m)))
                    .append(" | ")
                    .append(m == Mode.COPY ? count(o.batchLines()) : "1 (+ 1 update)")
                    .append(" |\n");
        }
        double limit = rates.get(Mode.CHUNK_SQL).median();
        s.append("\nServer / its own SQL over JDBC (median lines/s): **WebSocket ")
                .append(percent(rates.get(Mode.WEBSOCKET).median(), limit))
                .append("**, **HTTP ")
                .append(percent(rates.get(Mode.HTTP).median(), limit))
                .append("** (the goal: 50 % or more). COPY of a row per line / the server's SQL: ×")
                .append(ratio(rates.get(Mode.COPY).median(), limit))
                .append(".\n\n");
        s.append(
                        "The same PostgreSQL for all: the server's embedded store is not reachable from outside the server, so")
                .append(" the bench starts PostgreSQL from the same library with the server's settings (`fsync`,")
                .append(
                        " `synchronous_commit` and `full_page_writes` on: every commit waits for its WAL flush, in every")
                .append(" mode alike) and points the server at it with `withDatabase`. The pgJDBC driver runs with its")
                .append(" defaults.\n\n");
        s.append(BenchEnv.runFooter(took, "Server, PostgreSQL and the sending client", loadAtStart));
        return s.toString();
    }
}
