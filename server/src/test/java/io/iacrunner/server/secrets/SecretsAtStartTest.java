package io.iacrunner.server.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a server does at start about sealed values: refuse a key that cannot open them, seal what older versions left plain. */
class SecretsAtStartTest {
    @TempDir
    Path dir;

    ServerConfig.Builder config() {
        return ServerConfig.builder().port(0).dataDir(dir);
    }

    @Test
    void aServerWithAnotherKeyThanTheStoresRefusesToStartAndSaysWhich() throws Exception {
        try (IacServer server = IacServer.start(config().build())) {
            ApiClient admin = new ApiClient(server.baseUrl(), () -> read(server.adminTokenFile()));
            admin.put(
                    ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws", "password"),
                    new SetVariableRequest(TextNode.valueOf("pw-123456"), true),
                    VariableView.class);
        }
        String ownKey = SecretsKeyFile.load(dir.resolve(SecretsKeyFile.DEFAULT_NAME), false)
                .keyId();
        Path other =
                Files.writeString(dir.resolve("other.key"), Base64.getEncoder().encodeToString(new byte[32]));

        assertThatThrownBy(() -> IacServer.start(config().secretsKeyFile(other).build()))
                .hasMessageContaining("sealed with secrets key " + ownKey);
        try (Database db =
                Database.open(config().build(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            String recorded = db.jdbi()
                    .withHandle(h -> h.createQuery("select key_id from secrets_key")
                            .mapTo(String.class)
                            .one());
            assertThat(recorded)
                    .as("the key is recorded, so a start compares one row rather than reading every sealed value")
                    .isEqualTo(ownKey);
            db.jdbi().useHandle(h -> h.execute("delete from secrets_key"));
        }
        assertThatThrownBy(() -> IacServer.start(config().secretsKeyFile(other).build()))
                .as("a store upgraded from before the record: its sealed values are read once")
                .hasMessageContaining("sealed with secrets key " + ownKey);
        // The right key, named explicitly as a replica would, starts.
        IacServer.start(config().secretsKeyFile(dir.resolve(SecretsKeyFile.DEFAULT_NAME))
                        .build())
                .close();
    }

    @Test
    void sensitiveValuesOfTasksQueuedBeforeSealingAreSealedAtStart() throws Exception {
        IacServer.start(config().build()).close(); // schema and key in place
        try (Database db =
                Database.open(config().build(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            java.util.List<String> steps = db.jdbi()
                    .withHandle(h -> h.createQuery("select step from store_upgrades")
                            .mapTo(String.class)
                            .list());
            assertThat(steps)
                    .as("the upgrade ran once, at the first start, and was recorded")
                    .containsExactly("seal-legacy-task-variables");
            db.jdbi().useHandle(h -> {
                // A store as an older version left it: before the step existed, with a task holding a plain secret.
                h.execute("delete from store_upgrades");
                h.execute("insert into workspaces (workspace_id) values ('ws-old')");
                h.execute("""
                        insert into tasks (task_id, workspace_id, action, status, tf_json, variables, sensitive_variables)
                        values ('t-0000000000000old', 'ws-old', 'plan', 'queued', '{"resource": {}}',
                                '{"password": "legacy-pw-999", "region": "eu"}', '["password"]')""");
            });
        }

        IacServer.start(config().build()).close();

        try (Database db =
                Database.open(config().build(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            Map<String, Object> row = db.jdbi()
                    .withHandle(h -> h.createQuery(
                                    "select variables::text as v, sealed_variables from tasks where task_id = 't-0000000000000old'")
                            .mapToMap()
                            .one());
            assertThat((String) row.get("v")).contains("eu").doesNotContain("legacy-pw-999");
            SealedJson sealed = new SealedJson(SecretsKeyFile.load(dir.resolve(SecretsKeyFile.DEFAULT_NAME), false));
            assertThat(sealed.open((byte[]) row.get("sealed_variables"), "task t-0000000000000old")
                            .path("password")
                            .asText())
                    .isEqualTo("legacy-pw-999");
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
