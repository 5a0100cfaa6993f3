package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code workspace show|unlock} and {@code task cancel}. */
class WorkspaceAndCancelCommandTest {
    static final String FREE = """
            {"workspace_id":"demo","lock":null,"current_state_version":3,"current_state_serial":7,
             "created_at":"2025-11-25T10:00:00Z"}""";
    static final String LOCKED = """
            {"workspace_id":"demo","lock":{"task_id":"t-9","reason":"the apply was lost with its agent",
             "locked_at":"2025-11-25T10:05:00Z"},"current_state_version":null,"current_state_serial":null,
             "created_at":"2025-11-25T10:00:00Z"}""";

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

    @Test
    void showOfAFreeWorkspaceSaysSoAndNamesTheCurrentStateVersion() {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok(FREE));
        CliRun run = CliRun.run(dir, "workspace", "show", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("(?m)^workspace_id: +demo$")
                .containsPattern("(?m)^lock: +free$")
                .containsPattern("(?m)^state_version: +3$")
                .containsPattern("(?m)^state_serial: +7$")
                .doesNotContain("lock_reason");
    }

    @Test
    void showOfALockedWorkspaceNamesTheHolderTheReasonAndSinceWhen() {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok(LOCKED));
        CliRun run = CliRun.run(dir, "workspace", "show", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("(?m)^lock: +held by task t-9 since 2025-11-25T10:05:00Z$")
                .containsPattern("(?m)^lock_reason: +the apply was lost with its agent$")
                .containsPattern("(?m)^state_version: +-$");
    }

    @Test
    void showJsonIsParseable() throws Exception {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok(LOCKED));
        CliRun run = CliRun.run(dir, "workspace", "show", "demo", "--json", "--server", api.url());
        JsonNode view = json.readTree(run.out());
        assertThat(view.path("lock").path("task_id").asText()).isEqualTo("t-9");
        assertThat(Instant.parse(view.path("lock").path("locked_at").asText()))
                .isEqualTo(Instant.parse("2025-11-25T10:05:00Z"));
        assertThat(view.path("current_state_version").isNull()).isTrue();
    }

    @Test
    void showNamesALocalTerraformRunHoldingTheLockAndWhereItsBackendIs() {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok("""
                {"workspace_id":"demo","lock":{"task_id":null,"reason":"held by a local Terraform run: ...",
                 "locked_at":"2025-11-25T10:05:00Z","terraform_lock_id":"8f1c"},"created_at":"2025-11-25T10:00:00Z"}"""));
        CliRun run = CliRun.run(dir, "workspace", "show", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern(
                        "(?m)^lock: +held by a local Terraform run \\(lock ID 8f1c\\) since 2025-11-25T10:05:00Z$")
                .containsPattern("(?m)^http_backend: +" + api.url() + "/api/v1/workspaces/demo/terraform/state$");
    }

    @Test
    void showJsonPrintsTheHttpBackendSettingsForTheServerItReached() throws Exception {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok(FREE));
        CliRun run = CliRun.run(dir, "workspace", "show", "demo", "--json", "--server", api.url() + "/");
        JsonNode backend = json.readTree(run.out()).path("http_backend");
        assertThat(backend.path("address").asText()).isEqualTo(api.url() + "/api/v1/workspaces/demo/terraform/state");
        assertThat(backend.path("lock_address").asText())
                .isEqualTo(backend.path("unlock_address").asText())
                .isEqualTo(api.url() + "/api/v1/workspaces/demo/terraform/lock");
        assertThat(backend.path("lock_method").asText()).isEqualTo("LOCK");
        assertThat(backend.path("unlock_method").asText()).isEqualTo("UNLOCK");
    }

    @Test
    void unlockWithoutForceIsAUsageErrorThatSaysWhy() {
        CliRun run = CliRun.run(dir, "workspace", "unlock", "demo", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err())
                .startsWith("error: workspace unlock needs --force")
                .contains("resources may exist that no stored state records");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void unlockWithForcePostsTheForcedRequest() throws Exception {
        api.on("POST", "/api/v1/workspaces/demo/unlock", FakeApi.Reply.ok(FREE));
        CliRun run = CliRun.run(dir, "workspace", "unlock", "demo", "--force", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("workspace demo unlocked\n");
        assertThat(json.readTree(api.requests.getFirst().body())).isEqualTo(json.readTree("{\"force\":true}"));
    }

    @Test
    void unlockRefusedByTheServerIsExitFour() {
        api.on(
                "POST",
                "/api/v1/workspaces/demo/unlock",
                FakeApi.Reply.error(409, "not_locked", "workspace demo is not locked"));
        CliRun run = CliRun.run(dir, "workspace", "unlock", "demo", "--force", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: not_locked: workspace demo is not locked");
    }

    @Test
    void cancelOfARunningTaskPrintsItsStatusAndSaysTheAgentIsStoppingIt() throws Exception {
        api.on("POST", "/api/v1/tasks/t-1/cancel", FakeApi.Reply.ok(task("running", true)));
        CliRun run = CliRun.run(dir, "task", "cancel", "t-1", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("running\n");
        assertThat(run.err()).contains("cancel requested").contains("gracefully");
        assertThat(json.readTree(api.requests.getFirst().body())).isEqualTo(json.readTree("{\"force\":false}"));
    }

    @Test
    void forcedCancelSendsForceAndAQueuedTaskIsCanceledAtOnce() throws Exception {
        api.on("POST", "/api/v1/tasks/t-1/cancel", FakeApi.Reply.ok(task("canceled", true)));
        CliRun run = CliRun.run(dir, "task", "cancel", "t-1", "--force", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("canceled\n");
        assertThat(run.err()).isEmpty();
        assertThat(json.readTree(api.requests.getFirst().body())).isEqualTo(json.readTree("{\"force\":true}"));
    }

    @Test
    void cancelOfAFinishedTaskIsTheServersRefusal() {
        api.on("POST", "/api/v1/tasks/t-1/cancel", FakeApi.Reply.error(409, "task_finished", "t-1 already succeeded"));
        CliRun run = CliRun.run(dir, "task", "cancel", "t-1", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: task_finished: t-1 already succeeded");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void cancelNeedsATaskId() {
        CliRun run = CliRun.run(dir, "task", "cancel", "--server", api.url());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("ID");
        assertThat(api.requests).isEmpty();
    }

    private static String task(String status, boolean cancelRequested) {
        return "{\"task_id\":\"t-1\",\"workspace_id\":\"demo\",\"action\":\"plan_apply\",\"status\":\"" + status
                + "\",\"attempt\":1,\"created_at\":\"2025-11-25T10:00:00Z\",\"log_lines\":0,\"log_complete\":false,"
                + "\"labels\":{},\"cancel_requested\":" + cancelRequested + "}";
    }
}
