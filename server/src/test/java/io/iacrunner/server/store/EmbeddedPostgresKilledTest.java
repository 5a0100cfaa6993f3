package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.LogCapture;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The acceptance test of issue 13's store: the embedded PostgreSQL is SIGKILLed right after 200 acknowledged task
 * creations and 20,000 acknowledged log lines. Meanwhile every request answers 503 {@code store_unavailable} within
 * 2 s; the server restarts PostgreSQL by itself, says so in the log without a stack trace, and afterwards every task
 * and every line is there, word for word. And when PostgreSQL cannot be started again, the server gives up: the fatal
 * callback fires and {@code /healthz} fails, so a supervisor can replace the process.
 */
// Alone: it reads the process-wide log (LogCapture).
@Isolated
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EmbeddedPostgresKilledTest {
    static final int TASKS = 200;
    static final int LINES = 20_000;
    static final int BATCH = 1_000;
    static final Duration FAST = Duration.ofSeconds(2);

    @Test
    void everyAcknowledgedTaskAndLineSurvivesAKilledPostgresWhichTheServerRestarts() throws Exception {
        // Simulated agents never ping here: a long lease keeps the claimed attempt current.
        try (TestServer server = TestServer.start(Duration.ofSeconds(60));
                LogCapture logs = LogCapture.start()) {
            RawHttp raw = new RawHttp(server.baseUrl());
            String admin = server.adminToken();

            // 200 task creations answered 201 (the label of a pool no agent joins keeps them queued) ...
            server.parkingPool(Map.of("test", "no-such-pool"));
            List<String> created = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                RawHttp.Reply reply = raw.send(
                        "POST",
                        ApiPaths.TASKS,
                        admin,
                        "{\"workspace_id\":\"durable-" + (i % 7)
                                + "\",\"action\":\"plan\",\"tf_json\":{\"resource\":{\"terraform_data\":{\"x\":{\"input\":"
                                + i
                                + "}}}},\"labels\":{\"test\":\"no-such-pool\"}}");
                assertThat(reply.status()).as(reply.body()).isEqualTo(201);
                created.add(reply.json().path("task_id").asText());
            }
            // ... and 20,000 log lines acknowledged, of a task claimed by a simulated agent.
            ObjectNode tf = JsonNodeFactory.instance.objectNode();
            tf.putObject("resource").putObject("terraform_data").putObject("x");
            Map<String, String> labels = server.ownPool("durable-logs");
            TaskView logged = server.admin()
                    .post(
                            ApiPaths.TASKS,
                            new CreateTaskRequest("durable-logs", TaskAction.PLAN, tf, null, null, labels, null, null),
                            TaskView.class);
            var agent = server.registerAgentInPool("durable-agent", "durable-logs");
            PullResponse pulled = agent.client()
                    .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
            TaskAssignment claimed = pulled.tasks().getFirst();
            String run = UUID.randomUUID().toString();
            List<String> texts = new ArrayList<>(LINES);
            for (int i = 0; i < LINES; i++) texts.add("line " + i + " of run " + run + " ✓");
            for (int first = 0; first < LINES; first += BATCH) {
                List<LogLine> lines = new ArrayList<>();
                for (int seq = first; seq < first + BATCH; seq++)
                    lines.add(new LogLine(seq, Instant.now(), LogStream.STDOUT, texts.get(seq)));
                LogAck ack = agent.job(claimed)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, claimed.taskId()),
                                new LogBatch(claimed.attempt(), first, lines),
                                LogAck.class);
                assertThat(ack.committedLines()).isEqualTo(first + BATCH);
            }

            // Right after the last acknowledgement: SIGKILL the postmaster.
            long postmaster = EmbeddedPostgresTesting.postmasterPid(server.dataDir());
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
            long killedAt = System.nanoTime();

            // Until PostgreSQL is back (a new postmaster, and a request served): every request answers within 2 s,
            // served (by a backend that has not yet noticed its postmaster's death, or after the restart) or refused
            // with 503 store_unavailable.
            // An end-to-end test of the store: real time is the point (a real postmaster is killed and restarted, and
            // each answer's wall time is the assertion), so the polling below is paced by real sleeps.
            List<Long> outageMillis = new CopyOnWriteArrayList<>();
            boolean sawNotReady = false;
            while (true) {
                long start = System.nanoTime();
                RawHttp.Reply reply =
                        raw.send("GET", ApiPaths.fill(ApiPaths.TASK, created.getFirst()), admin, (String) null);
                long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(took).as("answered within %s", FAST).isLessThan(FAST.toMillis());
                if (reply.status() == 200) {
                    if (!outageMillis.isEmpty() && restarted(server.dataDir(), postmaster)) break;
                    Thread.sleep(10);
                    continue;
                }
                assertThat(reply.status()).as(reply.body()).isEqualTo(503);
                assertThat(reply.errorCode()).isEqualTo("store_unavailable");
                assertThat(reply.header("retry-after")).isEqualTo("2");
                outageMillis.add(took);
                if (!sawNotReady) {
                    RawHttp.Reply ready = raw.send("GET", ApiPaths.READY, null, (String) null);
                    if (ready.status() == 503) {
                        assertThat(ready.json().path("checks").path("store").asText())
                                .isIn("unavailable", "ok");
                        sawNotReady = ready.json()
                                .path("checks")
                                .path("store")
                                .asText()
                                .equals("unavailable");
                    }
                    assertThat(raw.send("GET", ApiPaths.HEALTH, null, (String) null)
                                    .status())
                            .as("the server recovers by itself: alive")
                            .isEqualTo(200);
                }
                assertThat(Duration.ofNanos(System.nanoTime() - killedAt))
                        .as("restarted in time")
                        .isLessThan(Duration.ofSeconds(60));
                Thread.sleep(20);
            }
            long restartedMillis =
                    Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
            assertThat(outageMillis).as("the outage was seen").isNotEmpty();
            System.out.printf(
                    "EmbeddedPostgresKilledTest: back after %d ms; %d requests answered 503 during the outage,"
                            + " slowest in %d ms%n",
                    restartedMillis,
                    outageMillis.size(),
                    outageMillis.stream().mapToLong(l -> l).max().orElse(0));
            assertThat(EmbeddedPostgresTesting.postmasterPid(server.dataDir()))
                    .as("a new postmaster")
                    .isNotEqualTo(postmaster);

            // Every task ...
            for (String id : created) {
                TaskView task = server.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
                assertThat(task.status()).isEqualTo(TaskStatus.QUEUED);
            }
            // ... and every line, word for word.
            assertThat(server.admin()
                            .get(ApiPaths.fill(ApiPaths.TASK, logged.taskId()), TaskView.class)
                            .logLines())
                    .isEqualTo(LINES);
            List<String> stored = new ArrayList<>();
            long offset = 0;
            while (stored.size() < LINES) {
                LogPage page = server.admin()
                        .get(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, logged.taskId()) + "?offset=" + offset
                                        + "&limit=5000",
                                LogPage.class);
                assertThat(page.lines()).as("lines after %d", offset).isNotEmpty();
                page.lines().forEach(l -> stored.add(l.line()));
                offset = page.nextOffset();
            }
            assertThat(stored).isEqualTo(texts);

            // The restarted PostgreSQL is as durable as the first (its options are ours, not the library's).
            assertDurable(server.dataDir());

            // The log: the death in one line, the return in one, no stack trace, no error.
            String seen = LogCapture.describe(logs.events());
            assertThat(logs.containing("exited unexpectedly")).as(seen).hasSize(1);
            // Whichever notices first reports the return (the supervisor, or a request that found the store back):
            // once.
            assertThat(logs.containing("store available again")).as(seen).hasSize(1);
            assertThat(logs.atLeast(Level.ERROR)).as(seen).isEmpty();
            assertThat(logs.atLeast(Level.WARN)).as(seen).hasSizeLessThanOrEqualTo(2);
            assertThat(logs.events()).as("no stack traces: " + seen).allMatch(e -> e.getThrowableProxy() == null);
        }
    }

    @Test
    void aPostgresThatCannotBeRestartedMakesTheServerGiveUpAndHealthzFail() throws Exception {
        List<String> fatal = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(c -> c, fatal::add);
                LogCapture logs = LogCapture.start()) {
            RawHttp raw = new RawHttp(server.baseUrl());
            // A configuration PostgreSQL refuses: every restart fails.
            Files.writeString(
                    server.dataDir().resolve("pg/postgresql.conf"),
                    "\nno_such_setting_for_this_test = 1\n",
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessHandle.of(EmbeddedPostgresTesting.postmasterPid(server.dataDir()))
                    .orElseThrow()
                    .destroyForcibly();

            await("the server gives up").atMost(Duration.ofSeconds(90)).until(() -> !fatal.isEmpty());
            assertThat(fatal).hasSize(1);
            assertThat(fatal.getFirst()).contains("could not be restarted").contains("no_such_setting_for_this_test");

            RawHttp.Reply health = raw.send("GET", ApiPaths.HEALTH, null, (String) null);
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().path("status").asText()).isEqualTo("store_lost");
            RawHttp.Reply ready = raw.send("GET", ApiPaths.READY, null, (String) null);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().path("checks").path("store").asText()).isEqualTo("lost");
            long start = System.nanoTime();
            RawHttp.Reply request = raw.send("GET", ApiPaths.TASKS, server.adminToken(), (String) null);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAST);
            assertThat(request.status()).isEqualTo(503);
            assertThat(request.errorCode()).isEqualTo("store_unavailable");

            String seen = LogCapture.describe(logs.events());
            assertThat(logs.containing("store lost")).as(seen).hasSize(1);
            assertThat(logs.events()).as("no stack traces: " + seen).allMatch(e -> e.getThrowableProxy() == null);
        }
    }

    private static boolean restarted(Path dataDir, long killed) {
        try {
            return EmbeddedPostgresTesting.postmasterPid(dataDir) != killed;
        } catch (RuntimeException stillTheOldFileOrNone) {
            return false;
        }
    }

    static void assertDurable(Path dataDir) throws Exception {
        try (Connection c = DriverManager.getConnection(EmbeddedPostgresTesting.jdbcUrl(dataDir), "postgres", "");
                Statement sql = c.createStatement()) {
            for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
                try (ResultSet r = sql.executeQuery("show " + setting)) {
                    r.next();
                    assertThat(r.getString(1)).as(setting).isEqualTo("on");
                }
            }
        }
    }
}
