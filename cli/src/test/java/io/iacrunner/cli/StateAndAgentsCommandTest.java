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

class StateAndAgentsCommandTest {
    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void stateShowPrettyPrintsTheStateKeepingNumbersExact() throws Exception {
        String state =
                "{\"version\":4,\"serial\":3,\"lineage\":\"abc\",\"outputs\":{\"big\":{\"value\":12345678901234567890.10}}}";
        api.on("GET", "/api/v1/workspaces/demo/state", FakeApi.Reply.ok(state));
        CliRun run = CliRun.run(Path.of("."), "state", "show", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("\n  \"serial\" : 3,").contains("12345678901234567890.10");
        JsonNode parsed = new ObjectMapper().readTree(run.out());
        assertThat(parsed.path("lineage").asText()).isEqualTo("abc");
    }

    @Test
    void statePushSendsTheFileAsItIsAndSaysWhichVersionItBecame(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("terraform.tfstate"),
                "{\"version\":4,\"serial\":9,\"lineage\":\"abc\",\"outputs\":{\"n\":{\"value\":1.10}}}");
        api.on("POST", "/api/v1/workspaces/demo/terraform/state", FakeApi.Reply.ok("""
                {"workspace_id":"demo","version":4,"serial":9,"lineage":"abc","sha256":"00","task_id":null,
                 "rollback_of":null,"created_at":"2025-11-25T10:00:00Z","pushed_by":"me (tok-1)"}"""));
        CliRun run = CliRun.run(dir, "state", "push", "demo", "terraform.tfstate", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("workspace demo: version 4 (serial 9, lineage abc)");
        assertThat(api.requests.getLast().body()).contains("\"serial\":9").contains("1.10");
    }

    @Test
    void statePushShowsTheServersRefusal(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("old.tfstate"), "{\"version\":4,\"serial\":1,\"lineage\":\"abc\"}");
        api.on(
                "POST",
                "/api/v1/workspaces/demo/terraform/state",
                FakeApi.Reply.error(409, "state_conflict", "serial 1 is not above the current serial 3"));
        CliRun run = CliRun.run(dir, "state", "push", "demo", "old.tfstate", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).contains("state_conflict: serial 1 is not above the current serial 3");
    }

    @Test
    void stateShowOfAWorkspaceWithoutStateShowsTheServersReason() {
        api.on(
                "GET",
                "/api/v1/workspaces/empty/state",
                FakeApi.Reply.error(404, "no_state", "workspace empty has no state yet"));
        CliRun run = CliRun.run(Path.of("."), "state", "show", "empty", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).isEqualTo("error: no_state: workspace empty has no state yet\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void stateShowExplainsABare404() {
        api.on("GET", "/api/v1/workspaces/empty/state", new FakeApi.Reply(404, ""));
        CliRun run = CliRun.run(Path.of("."), "state", "show", "empty", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: http_404: workspace 'empty' has no state yet");
    }

    @Test
    void agentsPrintsATableWithStatusRunningTasksAndWarnings() {
        api.on("GET", "/api/v1/agents", FakeApi.Reply.ok("""
                {"agents":[
                  {"agent_id":"a-1","name":"dev-agent","pool_id":"default-pool","status":"busy",
                   "last_seen":"2025-11-25T10:00:03.123Z","running_tasks":["t-1","t-2"],"version":"0.1.0","isolation":"sandbox",
                   "disk_full":false,"cpu_usage":0.934,"mem_usage":0.41,"plan_limit":8,"plan_slots":2,
                   "slots_reason":"cpu waiting 71 %","plans_running":2,"apply_running":false},
                  {"agent_id":"a-2","name":"old","pool_id":"default-pool","status":"offline",
                   "last_seen":null,"running_tasks":[],"version":"0.1.0"},
                  {"agent_id":"a-3","name":"full","pool_id":"default-pool","status":"idle",
                   "last_seen":"2025-11-25T10:00:04Z","running_tasks":[],"version":"0.1.0","disk_full":true}]}"""));
        CliRun run = CliRun.run(Path.of("."), "agents", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0))
                .matches("ID +NAME +POOL +STATUS +LAST_SEEN +VERSION +ISOLATION +CPU +MEM +SLOTS +RUNNING +WARNINGS");
        assertThat(lines.get(1))
                .matches("a-1 +dev-agent +default-pool +busy +2025-11-25T10:00:03Z +0.1.0 +sandbox +93% +41%"
                        + " +2/2 of 8 \\(cpu waiting 71 %\\) +t-1,t-2 +-");
        assertThat(lines.get(2)).matches("a-2 +old +default-pool +offline +- +0.1.0 +unknown +- +- +- +- +-");
        assertThat(lines.get(3))
                .matches("a-3 +full +default-pool +idle +2025-11-25T10:00:04Z +0.1.0 +unknown +- +- +- +-"
                        + " +disk full: claims nothing");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void agentsShowsAnAgentWithoutASandboxLoudly() {
        api.on("GET", "/api/v1/agents", FakeApi.Reply.ok("""
                {"agents":[{"agent_id":"a-1","name":"open","pool_id":"default-pool","status":"idle",
                   "last_seen":"2025-11-25T10:00:03Z","running_tasks":[],"version":"0.1.0","isolation":"none"}]}"""));
        CliRun run = CliRun.run(Path.of("."), "agents", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out().lines().toList().get(1)).contains("NONE(unsandboxed)");
        assertThat(run.err()).contains("warning: 1 agent(s) run tasks without a sandbox");
    }

    @Test
    void agentsJsonIsParseable() throws Exception {
        api.on("GET", "/api/v1/agents", FakeApi.Reply.ok("{\"agents\":[{\"agent_id\":\"a-1\",\"status\":\"idle\"}]}"));
        CliRun run = CliRun.run(Path.of("."), "agents", "--json", "--server", api.url());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("agents").get(0).path("agent_id").asText()).isEqualTo("a-1");
        assertThat(json.path("agents").get(0).has("last_seen")).isTrue();
    }
}
