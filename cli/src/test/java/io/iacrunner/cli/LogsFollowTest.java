package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code iac logs --follow} over the viewer WebSocket: fragments, drops, resumes, end. */
@Timeout(30)
class LogsFollowTest {
    static final String GREEN = "\u001b[32mPlan: 1 to add\u001b[0m";

    static String lines(long nextOffset, String... seqAndText) {
        StringBuilder json = new StringBuilder("{\"type\":\"lines\",\"next_offset\":" + nextOffset + ",\"lines\":[");
        for (int i = 0; i < seqAndText.length; i += 2) {
            if (i > 0) json.append(',');
            json.append("{\"seq\":")
                    .append(seqAndText[i])
                    .append(",\"ts\":\"2025-11-25T10:00:00Z\",\"stream\":\"stdout\",\"line\":")
                    .append(com.fasterxml.jackson.databind.node.TextNode.valueOf(seqAndText[i + 1]))
                    .append('}');
        }
        return json.append("]}").toString();
    }

    static String end(long nextOffset, String status, Integer exitCode) {
        return "{\"type\":\"end\",\"next_offset\":" + nextOffset + ",\"status\":\"" + status + "\",\"exit_code\":"
                + exitCode + "}";
    }

    @Test
    void resumesAfterADroppedConnectionWithoutGapsOrDuplicates() throws Exception {
        String[] log = {"one", GREEN, "three", "four │"};
        try (FakeLogStream server = new FakeLogStream(
                LogsCommandTest.task("running"),
                (query, conn) -> {
                    conn.textInTwoParts(lines(2, "0", log[0], "1", log[1]));
                    conn.pingAndAwaitPong(); // the client has the two lines: the resume must start after them
                    conn.crash();
                },
                (query, conn) -> {
                    // Serve from the requested offset, but repeat the line before it, as a sloppy server might:
                    // the client must print it only once.
                    int from = Math.max(0, Integer.parseInt(query.replaceAll(".*offset=(\\d+).*", "$1")) - 1);
                    List<String> seqAndText = new ArrayList<>();
                    for (int i = from; i < log.length; i++) {
                        seqAndText.add(String.valueOf(i));
                        seqAndText.add(log[i]);
                    }
                    conn.text(lines(log.length, seqAndText.toArray(String[]::new)));
                    conn.text(end(log.length, "succeeded", 0));
                    conn.awaitClientGone();
                })) {
            long started = System.nanoTime();
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--follow", "--server", server.url());
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).isEqualTo("one\n" + GREEN + "\nthree\nfour │\n");
            assertThat(server.upgradeQueries).containsExactly("task_id=t-1&offset=0", "task_id=t-1&offset=2");
            // At once when the client sees the drop; the JDK client does not always, and then the follower's own
            // pings find the dead connection within its 10 s silence limit.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void startsAtTheGivenOffsetAndExitsOneWhenTheTaskFailed() throws Exception {
        try (FakeLogStream server = new FakeLogStream(LogsCommandTest.task("running"), (query, conn) -> {
            conn.text(lines(6, "5", "Error: boom"));
            conn.text(end(6, "failed", 1));
            conn.awaitClientGone();
        })) {
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--follow", "--offset", "5", "--server", server.url());
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).isEqualTo("Error: boom\n");
            assertThat(server.upgradeQueries).containsExactly("task_id=t-1&offset=5");
        }
    }

    @Test
    void aRefusedHandshakeIsAnErrorNotAnEndlessRetry() throws Exception {
        try (FakeLogStream server = new FakeLogStream(LogsCommandTest.task("running"))) {
            server.refuseWithStatus = 403;
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--follow", "--server", server.url());
            assertThat(run.exit()).as(run.toString()).isEqualTo(4);
            assertThat(run.err()).startsWith("error: http_403: ");
            assertThat(server.upgradeQueries).hasSize(1);
        }
    }

    @Test
    void aStreamTheServerRefusesWithAnErrorAndCloseCodeIsReportedNotRetried() throws Exception {
        try (FakeLogStream server = new FakeLogStream(LogsCommandTest.task("running"), (query, conn) -> {
            conn.text("{\"error\":{\"code\":\"unauthorized\",\"message\":\"token expired\"}}");
            conn.close(4401, "unauthorized");
            conn.awaitClientGone();
        })) {
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--follow", "--server", server.url());
            assertThat(run.exit()).as(run.toString()).isEqualTo(4);
            assertThat(run.err()).startsWith("error: unauthorized: token expired");
            assertThat(server.upgradeQueries).hasSize(1);
        }
    }

    @Test
    void anOrdinaryCloseBeforeTheEndIsResumed() throws Exception {
        try (FakeLogStream server = new FakeLogStream(
                LogsCommandTest.task("running"),
                (query, conn) -> {
                    conn.text(lines(1, "0", "first"));
                    conn.close(1001, "going away");
                    conn.awaitClientGone();
                },
                (query, conn) -> {
                    conn.text(lines(2, "1", "second"));
                    conn.text(end(2, "canceled", null));
                    conn.awaitClientGone();
                })) {
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--follow", "--server", server.url());
            assertThat(run.exit()).as(run.toString()).isEqualTo(1);
            assertThat(run.out()).isEqualTo("first\nsecond\n");
            assertThat(server.upgradeQueries).containsExactly("task_id=t-1&offset=0", "task_id=t-1&offset=1");
        }
    }
}
