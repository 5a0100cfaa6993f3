package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.testing.TarGz;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading back the state an apply left, including an apply killed before it persisted any. */
class TaskDirectoryTest {
    @TempDir
    Path dir;

    TaskDirectory create() throws IOException {
        var tf = WireJson.lenient().createObjectNode();
        tf.putObject("resource");
        var variables = WireJson.lenient().createObjectNode().put("password", "hunter2-but-longer");
        return TaskDirectory.create(
                Files.createDirectory(dir.resolve("task")),
                new TaskAssignment(
                        "t-x",
                        1,
                        "ws",
                        TaskAction.PLAN_APPLY,
                        null,
                        tf,
                        variables,
                        null,
                        List.of("password"),
                        0,
                        null,
                        null,
                        null),
                dir.resolve("cache"));
    }

    @Test
    void theVariablesFileIsTheOwnersAloneAndGoesWithTheDirectory() throws IOException {
        Path variables = dir.resolve("task").resolve(TaskDirectory.VARIABLES);
        try (TaskDirectory task = create()) {
            assertThat(Files.getPosixFilePermissions(variables))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(variables)).contains("hunter2-but-longer");
            assertThat(task.pluginCache()).isEqualTo(dir.resolve("cache"));
        }
        assertThat(variables).doesNotExist();
        assertThat(dir.resolve("task")).doesNotExist();
    }

    @Test
    void anArchiveRunsOnTheLocalBackendWhateverCloudBlockItNames() throws IOException {
        String cloud = "terraform {\n  cloud {\n    hostname = \"iac.example:8443\"\n  }\n}\n";
        byte[] archive = new TarGz().file("main.tf", cloud).bytes();
        TaskAssignment task = new TaskAssignment(
                "t-x",
                1,
                "ws",
                TaskAction.PLAN,
                null,
                null,
                null,
                null,
                List.of(),
                0,
                Base64.getEncoder().encodeToString(archive),
                null,
                null);
        try (TaskDirectory dir = TaskDirectory.create(Files.createDirectory(this.dir.resolve("task")), task, null)) {
            assertThat(Files.readString(dir.path().resolve("main.tf"))).isEqualTo(cloud);
            assertThat(WireJson.lenient()
                            .readTree(dir.path()
                                    .resolve(TaskDirectory.BACKEND_OVERRIDE)
                                    .toFile()))
                    .isEqualTo(WireJson.lenient().readTree("{\"terraform\": {\"backend\": {\"local\": {}}}}"));
        }
    }

    @Test
    void anEmptyStateFileLeftByAKilledApplyIsNoState() throws IOException {
        try (TaskDirectory task = create()) {
            Files.createFile(dir.resolve("task").resolve(TaskDirectory.STATE));
            assertThat(task.readState()).isEmpty();
        }
    }

    @Test
    void aWrittenStateIsReadAndGarbageIsAnError() throws IOException {
        try (TaskDirectory task = create()) {
            Path state = dir.resolve("task").resolve(TaskDirectory.STATE);
            Files.writeString(state, "{\"version\":4,\"serial\":2,\"lineage\":\"l\"}");
            assertThat(task.readState())
                    .hasValueSatisfying(
                            s -> assertThat(s.path("serial").asLong()).isEqualTo(2));
            Files.writeString(state, "[1,2]");
            assertThatThrownBy(task::readState).isInstanceOf(IOException.class);
        }
    }
}
