package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.cli.Main;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.secrets.SecretsKeyFile;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented move of a single node to an external PostgreSQL (docs/operations.md): stop the server, {@code ./iac
 * admin export} its embedded database, {@code ./iac admin import} into a new database, start the server on that.
 * Tasks, logs, states, workspace locks and even the tokens already handed out survive the move.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StoreMigrationTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    static Run iac(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anEmbeddedStoreMovesToAnExternalDatabaseWithEverythingInIt() throws Exception {
        Path data = dir.resolve("single-node");
        ServerConfig single = ServerConfig.builder()
                .port(0)
                .dataDir(data)
                .pingInterval(Duration.ofSeconds(2))
                .build();
        String admin;
        List<TaskView> before;
        String applied;
        String log;
        String state;
        try (IacServer server = IacServer.start(single)) {
            admin = Files.readString(server.adminTokenFile()).trim();
            ApiClient client = new ApiClient(server.baseUrl(), () -> admin);
            Agent agent = new Agent(AgentConfig.builder(server.baseUrl(), server.agentTokenFile())
                    .name("mover")
                    .workDir(Files.createDirectories(dir.resolve("agent")))
                    .terraform(E2eHarness.terraform())
                    .build());
            agent.start();
            try {
                applied = create(client, "moved", TaskAction.PLAN_APPLY, E2eHarness.printingConfig(30, null));
                await("the apply")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> task(client, applied).status().isTerminal());
            } finally {
                agent.close();
            }
            create(client, "moved", TaskAction.PLAN, E2eHarness.printingConfig(1, null)); // still queued when exported
            before = client.get(ApiPaths.TASKS, TaskList.class).tasks();
            log = client.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, applied));
            state = client.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "moved"));
        }
        assertThat(task(before, applied).status()).isEqualTo(TaskStatus.SUCCEEDED);

        Path export = dir.resolve("store.iac.gz");
        Run exported = iac("admin", "export", "--data-dir", data.toString(), "--out", export.toString());
        assertThat(exported.exit()).as(exported.err()).isZero();
        assertThat(exported.out()).contains("exported");

        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            Run imported = iac(
                    "admin",
                    "import",
                    "--in",
                    export.toString(),
                    "--database-url",
                    db.url(),
                    "--database-user",
                    db.user());
            assertThat(imported.exit()).as(imported.err()).isZero();
            Run again = iac(
                    "admin",
                    "import",
                    "--in",
                    export.toString(),
                    "--database-url",
                    db.url(),
                    "--database-user",
                    db.user());
            assertThat(again.exit())
                    .as("a second import into the same database")
                    .isEqualTo(2);
            assertThat(again.err()).contains("not empty");

            // The store moves with its secrets key: the operator names the single node's key file.
            try (TestServer external =
                    TestServer.start(c -> db.configure(c).secretsKeyFile(data.resolve(SecretsKeyFile.DEFAULT_NAME)))) {
                ApiClient client = external.withToken(admin); // the single node's admin token still works
                assertThat(client.get(ApiPaths.TASKS, TaskList.class).tasks()).isEqualTo(before);
                assertThat(client.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, applied)))
                        .isEqualTo(log);
                assertThat(client.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "moved")))
                        .isEqualTo(state);
                assertThat(client.get(ApiPaths.fill(ApiPaths.WORKSPACE, "moved"), WorkspaceView.class)
                                .currentStateVersion())
                        .isEqualTo(1);
                String next = create(client, "moved-after", TaskAction.PLAN, E2eHarness.printingConfig(1, null));
                assertThat(client.get(ApiPaths.TASKS, TaskList.class)
                                .tasks()
                                .getFirst()
                                .taskId())
                        .as("a new task queues after the imported ones")
                        .isEqualTo(next);
            }
        }
    }

    private static String create(ApiClient client, String workspace, TaskAction action, String config)
            throws Exception {
        var tf = (com.fasterxml.jackson.databind.node.ObjectNode)
                WireJson.lenient().readTree(config);
        return client.post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, null, null, null),
                        TaskView.class)
                .taskId();
    }

    private static TaskView task(ApiClient client, String id) {
        return client.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    private static TaskView task(List<TaskView> tasks, String id) {
        return tasks.stream().filter(t -> t.taskId().equals(id)).findFirst().orElseThrow();
    }
}
