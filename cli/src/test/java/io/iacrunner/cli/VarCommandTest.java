package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code var set|list|unset} and {@code workspace set}: what they send and what they print. */
class VarCommandTest {
    static final String PATH = "/api/v1/workspaces/demo/variables/db_password";
    static final String SET_SENSITIVE = """
            {"name":"db_password","value":null,"sensitive":true,"updated_at":"2026-11-30T10:00:00Z"}""";

    @TempDir
    Path dir;

    FakeApi api;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    JsonNode sentBody() throws Exception {
        assertThat(api.requests).hasSize(1);
        return json.readTree(api.requests.getFirst().body());
    }

    @Test
    void aSensitiveValueFromAFileIsSentAsAStringWithItsTrailingNewlineDroppedAndNotPrinted() throws Exception {
        api.on("PUT", PATH, FakeApi.Reply.ok(SET_SENSITIVE));
        Path file = Files.writeString(dir.resolve("pw"), "hunter2-long\n");
        CliRun run = CliRun.run(
                dir,
                "var",
                "set",
                "demo",
                "db_password",
                "--value-file",
                file.toString(),
                "--sensitive",
                "--server",
                api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(sentBody().path("value").asText()).isEqualTo("hunter2-long");
        assertThat(sentBody().path("sensitive").asBoolean()).isTrue();
        assertThat(run.out())
                .isEqualTo("workspace demo: sensitive variable db_password set\n")
                .doesNotContain("hunter2");
    }

    @Test
    void jsonValuesAreSentAsJsonAndBrokenJsonIsRefusedWithoutEchoingIt() throws Exception {
        api.on("PUT", "/api/v1/workspaces/demo/variables/sizes", FakeApi.Reply.ok("""
                {"name":"sizes","value":[1,2],"sensitive":false,"updated_at":"2026-11-30T10:00:00Z"}"""));
        CliRun run = CliRun.run(dir, "var", "set", "demo", "sizes", "[1, 2]", "--json", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(sentBody().path("value").isArray()).isTrue();

        CliRun broken = CliRun.run(
                dir, "var", "set", "demo", "sizes", "{secret-ish", "--json", "--sensitive", "--server", api.url());
        assertThat(broken.exit()).isEqualTo(2);
        assertThat(broken.err()).contains("--json: the value is not valid JSON").doesNotContain("secret-ish");
        assertThat(api.requests).hasSize(1);
    }

    @Test
    void theValueComesFromExactlyOnePlace() throws Exception {
        Path file = Files.writeString(dir.resolve("v"), "x");
        CliRun both =
                CliRun.run(dir, "var", "set", "demo", "n", "v", "--value-file", file.toString(), "--server", api.url());
        CliRun neither = CliRun.run(dir, "var", "set", "demo", "n", "--server", api.url());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(neither.exit()).isEqualTo(2);
        assertThat(both.err()).contains("give the value as VALUE or with --value-file");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void listShowsPlainValuesAndOnlyTheWordSensitiveForTheOthers() {
        api.on("GET", "/api/v1/workspaces/demo/variables", FakeApi.Reply.ok("""
                {"workspace_id":"demo","variables":[
                  {"name":"db_password","value":null,"sensitive":true,"updated_at":"2026-11-30T10:00:00Z"},
                  {"name":"region","value":"eu-west-1","sensitive":false,"updated_at":"2026-11-30T10:01:00Z"}]}"""));
        CliRun run = CliRun.run(dir, "var", "list", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("(?m)^db_password +\\(sensitive\\) +2026-11-30T10:00:00Z$")
                .containsPattern("(?m)^region +\"eu-west-1\" +2026-11-30T10:01:00Z$");
    }

    @Test
    void unsetDeletesTheVariable() {
        api.on("DELETE", PATH, new FakeApi.Reply(204, ""));
        CliRun run = CliRun.run(dir, "var", "unset", "demo", "db_password", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(api.requests.getFirst().method()).isEqualTo("DELETE");
        assertThat(run.out()).isEqualTo("workspace demo: variable db_password removed\n");
    }

    /** The body of the one PUT (workspace set reads the current settings first). */
    JsonNode sentSettings() throws Exception {
        List<FakeApi.Request> puts =
                api.requests.stream().filter(r -> r.method().equals("PUT")).toList();
        assertThat(puts).hasSize(1);
        return json.readTree(puts.getFirst().body());
    }

    @Test
    void workspaceSetSendsTheVersionAndAnEmptyOneClearsIt() throws Exception {
        api.on("PUT", "/api/v1/workspaces/demo", FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":null,"terraform_version":null,"auto_apply":true,"created_at":"2026-11-30T10:00:00Z"}"""));
        CliRun run = CliRun.run(dir, "workspace", "set", "demo", "--terraform-version", "", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(sentSettings().path("terraform_version").isNull()).isTrue();
        assertThat(run.out())
                .isEqualTo(
                        "workspace demo: terraform_version cleared (the agent's default), max_run_time the pool's, auto_apply true\n");
    }

    @Test
    void workspaceSetChangesOnlyTheSettingsGivenAndChecksTheRunTimeFirst() throws Exception {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":null,"terraform_version":"1.11.4","max_run_time":"2h","created_at":"2026-11-30T10:00:00Z"}"""));
        api.on("PUT", "/api/v1/workspaces/demo", r -> FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":null,"terraform_version":"1.11.4","max_run_time":"30m","auto_apply":false,"created_at":"2026-11-30T10:00:00Z"}"""));
        CliRun run = CliRun.run(dir, "workspace", "set", "demo", "--max-run-time", "30m", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(sentSettings().path("terraform_version").asText()).as("kept").isEqualTo("1.11.4");
        assertThat(sentSettings().path("max_run_time").asText()).isEqualTo("30m");
        assertThat(run.out())
                .isEqualTo("workspace demo: terraform_version 1.11.4, max_run_time 30m, auto_apply false\n");
        assertThat(sentSettings().has("auto_apply")
                        && !sentSettings().path("auto_apply").isNull())
                .as("auto-apply not given, so left as it is")
                .isFalse();

        api.requests.clear();
        CliRun bad =
                CliRun.run(dir, "workspace", "set", "demo", "--max-run-time", "half an hour", "--server", api.url());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err())
                .startsWith("error: --max-run-time: 'half an hour' is not a duration like 20s, 30m, 2h or 1h30m");
        CliRun nothing = CliRun.run(dir, "workspace", "set", "demo", "--server", api.url());
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err())
                .contains("--terraform-version, --max-run-time, --auto-apply, --pool, --max-plans-running or --weight");
        CliRun heavy = CliRun.run(dir, "workspace", "set", "demo", "--weight", "1001", "--server", api.url());
        assertThat(heavy.exit()).isEqualTo(2);
        assertThat(heavy.err()).contains("--weight must be 1..1000, got 1001");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void workspaceSetSendsTheWeightAndShowsIt() throws Exception {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":null,"created_at":"2026-11-30T10:00:00Z"}"""));
        api.on("PUT", "/api/v1/workspaces/demo", FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":null,"auto_apply":true,"weight":4,"created_at":"2026-11-30T10:00:00Z"}"""));
        CliRun run = CliRun.run(dir, "workspace", "set", "demo", "--weight", "4", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(sentSettings().path("weight").asInt()).isEqualTo(4);
        assertThat(run.out()).endsWith(", weight 4\n");
    }
}
