package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on an external PostgreSQL (a fresh database on the machine's server): settings, readiness, restarts. */
class ExternalStoreTest {
    @TempDir
    Path dir;

    ExternalServices.FreshDatabase db;

    @BeforeEach
    void createDatabase() {
        db = ExternalServices.postgres();
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void aServerOnAnExternalDatabaseIsReadyAndItsDataAndTokensOutliveIt() throws Exception {
        String taskId;
        String adminToken;
        try (TestServer first = TestServer.start(db::configure)) {
            JsonNode ready = WireJson.lenient().readTree(first.anonymous().getText(ApiPaths.READY));
            assertThat(ready.path("status").asText()).isEqualTo("ready");
            assertThat(ready.path("checks").path("store").asText()).isEqualTo("ok");
            assertThat(ready.path("checks").path("redis").asText()).isEqualTo("single");
            assertThat(ready.path("checks").path("schema_version").asText()).isNotBlank();
            assertThat(first.metrics().value("hikaricp_connections_max{pool=\"iac-store\"}"))
                    .as("database-pool-size")
                    .isEqualTo(4);
            assertThat(Files.exists(first.dataDir().resolve("pg")))
                    .as("no embedded cluster")
                    .isFalse();
            ObjectNode tf = JsonNodeFactory.instance.objectNode();
            tf.putObject("resource").putObject("terraform_data").putObject("kept");
            taskId = first.admin()
                    .post(
                            ApiPaths.TASKS,
                            new CreateTaskRequest("external", TaskAction.PLAN, tf, null, null, null, null, null),
                            TaskView.class)
                    .taskId();
            adminToken = first.adminToken();
        }
        // Another server (another data dir: a replica, or a new host) on the same database has the task, and accepts
        // the first one's admin token: the signing keys live in the store.
        try (TestServer second = TestServer.start(db::configure)) {
            TaskView task = second.withToken(adminToken).get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class);
            assertThat(task.workspaceId()).isEqualTo("external");
        }
    }

    @Test
    void databaseTlsSettingsReachTheDriver() {
        // This machine's PostgreSQL speaks no TLS: "require" must refuse to start, not fall back to plain text.
        assertThatThrownBy(() -> TestServer.start(c -> db.configure(c).databaseSslMode("require"))
                        .close())
                .satisfies(e -> assertThat(causes(e)).contains("SSL"));
        // "disable" is what such a server needs.
        TestServer.start(c -> db.configure(c).databaseSslMode("disable")).close();
    }

    private static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) all.append(t).append('\n');
        return all.toString();
    }
}
