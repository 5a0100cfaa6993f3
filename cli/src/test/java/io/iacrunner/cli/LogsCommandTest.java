package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code iac logs} without --follow: paging and exit statuses. */
class LogsCommandTest {
    static final String ANSI_LINE = "\u001b[0m\u001b[1mterraform_data.hello: Creating...\u001b[0m";

    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static String task(String status) {
        return "{\"task_id\":\"t-1\",\"workspace_id\":\"demo\",\"action\":\"plan\",\"status\":\"" + status
                + "\",\"attempt\":1,\"created_at\":\"2025-11-25T10:00:00Z\",\"log_lines\":3,\"log_complete\":false}";
    }

    static String line(long seq, String text) {
        return "{\"seq\":" + seq + ",\"ts\":\"2025-11-25T10:00:00Z\",\"stream\":\"stdout\",\"line\":"
                + com.fasterxml.jackson.databind.node.TextNode.valueOf(text) + "}";
    }

    /** Serves {@code lines} in pages of {@code pageSize}, honouring offset, with {@code status} on every page. */
    void serveLog(List<String> lines, int pageSize, String status) {
        api.on("GET", "/api/v1/tasks/t-1", FakeApi.Reply.ok(task(status)));
        api.on("GET", "/api/v1/tasks/t-1/logs", request -> {
            long offset = Long.parseLong(request.query().replaceAll(".*offset=(\\d+).*", "$1"));
            List<String> page = new ArrayList<>();
            for (long i = offset; i < lines.size() && page.size() < pageSize; i++)
                page.add(line(i, lines.get((int) i)));
            return FakeApi.Reply.ok(
                    "{\"task_id\":\"t-1\",\"offset\":" + offset + ",\"next_offset\":" + (offset + page.size())
                            + ",\"lines\":[" + String.join(",", page) + "],\"task_status\":\"" + status + "\"}");
        });
    }

    @Test
    void printsEveryLineVerbatimAcrossPagesAndExitsZeroForASucceededTask() {
        serveLog(List.of("Initializing...", ANSI_LINE, "  indented │ unicode", "", "Apply complete!"), 2, "succeeded");
        CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .isEqualTo("Initializing...\n" + ANSI_LINE + "\n  indented │ unicode\n\nApply complete!\n");
        List<String> queries = api.requests.stream()
                .filter(r -> r.path().endsWith("/logs"))
                .map(FakeApi.Request::query)
                .toList();
        assertThat(queries)
                .containsExactly(
                        "offset=0&limit=5000", "offset=2&limit=5000", "offset=4&limit=5000", "offset=5&limit=5000");
    }

    @Test
    void attemptAsksForThatAttemptsLog() {
        api.on("GET", "/api/v1/tasks/t-1", FakeApi.Reply.ok(task("succeeded")));
        api.on("GET", "/api/v1/tasks/t-1/logs", request -> {
            boolean first = request.query().contains("attempt=1");
            boolean start = request.query().startsWith("offset=0");
            String lines = !start ? "" : first ? line(0, "attempt one") : line(0, "attempt two");
            return FakeApi.Reply.ok("{\"task_id\":\"t-1\",\"offset\":0,\"next_offset\":1" + ",\"lines\":[" + lines
                    + "],\"task_status\":\"succeeded\"}");
        });
        CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--attempt", "1", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("attempt one\n");
        assertThat(api.requests.stream().filter(r -> r.path().endsWith("/logs")).map(FakeApi.Request::query))
                .first()
                .isEqualTo("offset=0&limit=5000&attempt=1");
    }

    @Test
    void attemptBelowOneOrWithFollowIsAUsageError() {
        CliRun zero = CliRun.run(Path.of("."), "logs", "t-1", "--attempt", "0", "--server", api.url());
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--attempt must be 1 or more");
        CliRun follow = CliRun.run(Path.of("."), "logs", "t-1", "--attempt", "1", "-f", "--server", api.url());
        assertThat(follow.exit()).isEqualTo(2);
        assertThat(follow.err()).contains("--follow streams the current attempt");
        assertThat(api.requests).as("nothing sent").isEmpty();
    }

    @Test
    void offsetSkipsLinesAlreadySeen() {
        serveLog(List.of("a", "b", "c"), 10, "succeeded");
        CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--offset", "2", "--server", api.url());
        assertThat(run.out()).isEqualTo("c\n");
    }

    @Test
    void failedCanceledAndErroredTasksExitOne() {
        for (String status : List.of("failed", "canceled", "errored")) {
            serveLog(List.of("x"), 10, status);
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--server", api.url());
            assertThat(run.exit()).as(status + "\n" + run).isEqualTo(1);
        }
    }

    @Test
    void aTaskStillRunningExitsThree() {
        for (String status : List.of("queued", "running")) {
            serveLog(List.of("x"), 10, status);
            CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--server", api.url());
            assertThat(run.exit()).as(status + "\n" + run).isEqualTo(3);
        }
    }

    @Test
    void unknownTaskIsExitFourWithTheServersMessage() {
        api.on("GET", "/api/v1/tasks/t-1", FakeApi.Reply.error(404, "not_found", "no task t-1"));
        CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: not_found: no task t-1");
    }

    @Test
    void negativeOffsetIsAUsageError() {
        CliRun run = CliRun.run(Path.of("."), "logs", "t-1", "--offset", "-3", "--server", api.url());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--offset");
    }
}
