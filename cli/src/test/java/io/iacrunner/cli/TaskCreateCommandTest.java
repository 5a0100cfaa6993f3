package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskCreateCommandTest {
    static final String CREATED = """
            {"task_id":"t-42","workspace_id":"demo","action":"plan_apply","status":"queued","attempt":0,
             "created_at":"2025-11-25T10:00:00Z","log_lines":0,"log_complete":false}""";

    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
        Files.writeString(
                dir.resolve("main.tf.json"), "{\"resource\": {\"terraform_data\": {\"x\": {\"input\": 1.50}}}}");
        Files.writeString(dir.resolve("vars.json"), "{\"region\": \"idc1\", \"count\": 12345678901234567890}");
        Files.writeString(dir.resolve("token"), "  secret-admin  \n");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void missingWorkspaceIsAUsageErrorNamingTheOption() {
        CliRun run = CliRun.run(
                dir, "task", "create", "--action", "plan", "--config", "main.tf.json", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("--workspace");
        assertThat(run.out()).isEmpty();
        assertThat(api.requests).isEmpty();
    }

    @Test
    void unknownActionIsAUsageErrorListingTheChoices() {
        CliRun run = CliRun.run(
                dir, "task", "create", "--workspace", "demo", "--action", "apply", "--config", "main.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("--action").contains("plan_apply");
    }

    @Test
    void configThatIsNotAJsonObjectIsAUsageError() throws Exception {
        Files.writeString(dir.resolve("list.json"), "[{\"resource\": {}}]");
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "list.json",
                "--server",
                api.url());
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err())
                .contains("--config")
                .contains("list.json")
                .contains("JSON object")
                .doesNotContain("Exception");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void configThatIsNotJsonIsAUsageErrorWithItsPosition() throws Exception {
        Files.writeString(dir.resolve("broken.tf.json"), "{\n  \"resource\": \n");
        CliRun run = CliRun.run(
                dir, "task", "create", "--workspace", "demo", "--action", "plan", "--config", "broken.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("not valid JSON").contains("line ");
    }

    @Test
    void missingConfigFileIsAUsageError() {
        CliRun run = CliRun.run(
                dir, "task", "create", "--workspace", "demo", "--action", "plan", "--config", "nope.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("nope.tf.json").contains("does not exist");
    }

    @Test
    void varsThatAreNotAnObjectAreAUsageError() throws Exception {
        Files.writeString(dir.resolve("vars.json"), "\"region\"");
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json",
                "--vars",
                "vars.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("--vars").contains("a string");
    }

    @Test
    void createPostsConfigAndVariablesAsObjectsAndPrintsOnlyTheId() throws Exception {
        api.on("POST", "/api/v1/tasks", FakeApi.Reply.ok(CREATED));
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--token-file",
                "token",
                "--workspace",
                "demo",
                "--action",
                "plan_apply",
                "--config",
                "main.tf.json",
                "--vars",
                "vars.json",
                "--terraform-version",
                "1.11.4");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("t-42\n");

        FakeApi.Request sent = api.requests.get(0);
        assertThat(sent.authorization()).isEqualTo("Bearer secret-admin");
        JsonNode body = new ObjectMapper().readTree(sent.body());
        assertThat(body.path("workspace_id").asText()).isEqualTo("demo");
        assertThat(body.path("action").asText()).isEqualTo("plan_apply");
        assertThat(body.path("terraform_version").asText()).isEqualTo("1.11.4");
        assertThat(body.path("tf_json").isObject()).isTrue();
        assertThat(body.path("variables").isObject()).isTrue();
        // Numbers travel exactly as written: no double rounding, no exponent.
        assertThat(sent.body()).contains("1.50").contains("12345678901234567890");
    }

    @Test
    void labelsAreSentAsAnObjectAndLeftOutWhenNoneAreGiven() throws Exception {
        api.on("POST", "/api/v1/tasks", FakeApi.Reply.ok(CREATED));
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json",
                "--label",
                "region=idc1",
                "--label",
                "tier=prod=blue");
        assertThat(run.exit()).as(run.toString()).isZero();
        JsonNode labels =
                new ObjectMapper().readTree(api.requests.get(0).body()).path("labels");
        assertThat(labels).isEqualTo(new ObjectMapper().readTree("{\"region\":\"idc1\",\"tier\":\"prod=blue\"}"));

        CliRun without = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json");
        assertThat(without.exit()).as(without.toString()).isZero();
        assertThat(new ObjectMapper()
                        .readTree(api.requests.get(1).body())
                        .path("labels")
                        .isNull())
                .isTrue();
    }

    @Test
    void aLabelWithoutEqualsSignIsAUsageErrorNamingTheOption() {
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json",
                "--label",
                "region");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: --label must look like KEY=VALUE");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void serverRefusalIsPrintedAsCodeAndMessageWithExitFour() {
        api.on("POST", "/api/v1/tasks", FakeApi.Reply.error(422, "invalid_config", "tf_json has no resource"));
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: invalid_config: tf_json has no resource");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aConfigWithADuplicateKeyIsRefusedNamingTheKeyAndNothingIsSent() throws Exception {
        // Terraform would merge the two "x" blocks; the CLI used to keep only the last, silently.
        Files.writeString(dir.resolve("dup.tf.json"), """
                {"resource": {"terraform_data": {
                  "x": {"input": "first"},
                  "x": {"input": "second"}
                }}}""");
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan_apply",
                "--config",
                "dup.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err())
                .contains("--config")
                .contains("dup.tf.json")
                .contains("\"x\"")
                .contains("more than once")
                .contains("line 3");
        assertThat(api.requests).isEmpty();

        Files.writeString(dir.resolve("dup-vars.json"), "{\"region\": \"a\", \"region\": \"b\"}");
        CliRun vars = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json",
                "--vars",
                "dup-vars.json");
        assertThat(vars.exit()).as(vars.toString()).isEqualTo(2);
        assertThat(vars.err()).contains("--vars").contains("\"region\"");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void aConfigOverTheServersBodyLimitIsRefusedBeforeSendingNamingTheLimit() throws Exception {
        // 25 MB: the server would refuse it (16 MiB); the CLI says so itself, without sending it.
        StringBuilder big = new StringBuilder("{\"resource\": {\"terraform_data\": {");
        String filler = "y".repeat(1000);
        for (int i = 0; big.length() < 25_000_000; i++) {
            if (i > 0) big.append(',');
            big.append("\"r")
                    .append(i)
                    .append("\": {\"input\": \"")
                    .append(filler)
                    .append("\"}");
        }
        big.append("}}}");
        Files.writeString(dir.resolve("big.tf.json"), big);
        api.on("POST", "/api/v1/tasks", FakeApi.Reply.ok(CREATED));
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "big.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err())
                .contains("big.tf.json")
                .contains("16 MiB (16777216 bytes)")
                .contains("nothing was sent");
        assertThat(run.err()).doesNotContain("Exception").doesNotContain("java.");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void aStoreOutageIsReportedAsTheStoreBeingUnavailableNotAsAnUnreachableServer() {
        api.on(
                "POST",
                "/api/v1/tasks",
                FakeApi.Reply.error(
                        503,
                        "store_unavailable",
                        "the store (PostgreSQL) is unavailable right now; try again shortly"));
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                api.url(),
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(4);
        assertThat(run.err())
                .startsWith("error: store_unavailable: the store (PostgreSQL) is unavailable right now")
                .contains("the server is running, but cannot use its database")
                .doesNotContain("unreachable")
                .doesNotContain("is the server running?");
    }

    @Test
    void unreachableServerIsExitFour() {
        String deadUrl = api.url();
        api.close();
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                deadUrl,
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: unreachable: ");
    }

    @Test
    void serverUrlThatIsNotHttpIsAUsageError() {
        CliRun run = CliRun.run(
                dir,
                "task",
                "create",
                "--server",
                "localhost:8080",
                "--workspace",
                "demo",
                "--action",
                "plan",
                "--config",
                "main.tf.json");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("http://HOST:PORT");
    }
}
