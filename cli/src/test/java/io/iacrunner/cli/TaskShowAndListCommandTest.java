package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskShowAndListCommandTest {
    static final String TASK = """
            {"task_id":"t-7","workspace_id":"demo","action":"plan_apply","status":"succeeded","phase":"applying",
             "attempt":1,"exit_code":0,"message":null,"terraform_version":"1.11.4",
             "created_at":"2025-11-25T10:00:00Z","started_at":"2025-11-25T10:00:01.250Z",
             "finished_at":"2025-11-25T10:00:09Z","agent_id":"a-1","log_lines":12,"log_complete":true,
             "some_future_field":"ignored"}""";
    static final String QUEUED = """
            {"task_id":"t-8","workspace_id":"other","action":"plan","status":"queued","attempt":0,
             "created_at":"2025-11-25T10:05:00Z","log_lines":0,"log_complete":false}""";

    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi().on("GET", "/api/v1/tasks/t-7", FakeApi.Reply.ok(TASK));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void showJsonPrintsParseableSnakeCaseJsonWithIsoTimestamps() throws Exception {
        CliRun run = CliRun.run(dir, "task", "show", "t-7", "--json", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("task_id").asText()).isEqualTo("t-7");
        assertThat(json.path("workspace_id").asText()).isEqualTo("demo");
        assertThat(json.path("action").asText()).isEqualTo("plan_apply");
        assertThat(json.path("status").asText()).isEqualTo("succeeded");
        assertThat(json.path("exit_code").asInt()).isZero();
        assertThat(json.path("agent_id").asText()).isEqualTo("a-1");
        assertThat(Instant.parse(json.path("created_at").asText())).isEqualTo(Instant.parse("2025-11-25T10:00:00Z"));
        assertThat(Instant.parse(json.path("started_at").asText()))
                .isEqualTo(Instant.parse("2025-11-25T10:00:01.250Z"));
        assertThat(Instant.parse(json.path("finished_at").asText())).isEqualTo(Instant.parse("2025-11-25T10:00:09Z"));
        List<String> keys = StreamSupport.stream(((Iterable<String>) json::fieldNames).spliterator(), false)
                .toList();
        assertThat(keys).allMatch(k -> k.equals(k.toLowerCase()) && !k.contains("-"), "snake_case");
    }

    @Test
    void showJsonKeepsUnsetFieldsAsNull() throws Exception {
        api.on("GET", "/api/v1/tasks/t-8", FakeApi.Reply.ok(QUEUED));
        CliRun run = CliRun.run(dir, "task", "show", "t-8", "--json", "--server", api.url());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.has("started_at")).isTrue();
        assertThat(json.path("started_at").isNull()).isTrue();
        assertThat(json.path("exit_code").isNull()).isTrue();
        assertThat(json.path("agent_id").isNull()).isTrue();
    }

    @Test
    void showWithoutJsonPrintsKeyValueLines() {
        CliRun run = CliRun.run(dir, "task", "show", "t-7", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("(?m)^status: +succeeded$")
                .containsPattern("(?m)^exit_code: +0$")
                .containsPattern("(?m)^started_at: +2025-11-25T10:00:01.250Z$")
                .containsPattern("(?m)^message: +-$");
    }

    @Test
    void showNamesLabelsAPendingCancelAndTheMessageWhenSet() {
        api.on("GET", "/api/v1/tasks/t-9", FakeApi.Reply.ok("""
                {"task_id":"t-9","workspace_id":"demo","action":"plan_apply","status":"running","attempt":2,
                 "message":"requeued: its agent was lost before the apply began","created_at":"2025-11-25T10:00:00Z",
                 "log_lines":3,"log_complete":false,"labels":{"region":"idc1"},"cancel_requested":true}"""));
        CliRun run = CliRun.run(dir, "task", "show", "t-9", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("(?m)^labels: +region=idc1$")
                .containsPattern("(?m)^cancel_requested: +true$")
                .containsPattern("(?m)^message: +requeued: its agent was lost before the apply began$");

        CliRun plain = CliRun.run(dir, "task", "show", "t-7", "--server", api.url());
        assertThat(plain.out()).doesNotContain("labels:").doesNotContain("cancel_requested:");
    }

    @Test
    void showOfAnUnknownTaskIsTheServersErrorWithExitFour() {
        CliRun run = CliRun.run(dir, "task", "show", "t-404", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: not_found: ");
    }

    @Test
    void listFiltersByWorkspaceAndPrintsATable() {
        api.on("GET", "/api/v1/tasks", FakeApi.Reply.ok("{\"tasks\":[" + TASK + "," + QUEUED + "]}"));
        CliRun run = CliRun.run(dir, "task", "list", "--workspace", "my ws", "--limit", "5", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(api.requests.get(0).query()).isEqualTo("workspace=my+ws&limit=5");
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("ID +WORKSPACE +ACTION +STATUS +EXIT +CREATED +AGENT");
        assertThat(lines.get(1)).matches("t-7 +demo +plan_apply +succeeded +0 +2025-11-25T10:00:00Z +a-1");
        assertThat(lines.get(2)).matches("t-8 +other +plan +queued +- +2025-11-25T10:05:00Z +-");
        // Columns line up.
        assertThat(lines.get(1).indexOf("plan_apply")).isEqualTo(lines.get(0).indexOf("ACTION"));
    }

    @Test
    void listJsonIsParseable() throws Exception {
        api.on("GET", "/api/v1/tasks", FakeApi.Reply.ok("{\"tasks\":[" + QUEUED + "]}"));
        CliRun run = CliRun.run(dir, "task", "list", "--json", "--server", api.url());
        assertThat(api.requests.get(0).query()).isNull();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("tasks").get(0).path("task_id").asText()).isEqualTo("t-8");
    }
}
