package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.ServerProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server killed with SIGKILL starts again on the same data dir, with its data and credentials intact. */
class EmbeddedStoreRestartTest {
    @TempDir
    Path dir;

    @Test
    void killedServerRestartsOnItsDataDirAndKeepsQueuedTasks() throws Exception {
        Path data = dir.resolve("data");
        Path log1 = dir.resolve("first.log");
        Process first = ServerProcess.launch(data, log1);
        int port1 = awaitReady(first, log1);
        String admin = Files.readString(data.resolve("admin.token")).trim();
        ApiClient client1 = new ApiClient(URI.create("http://127.0.0.1:" + port1), () -> admin);
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        TaskView queued = client1.post(
                ApiPaths.TASKS,
                new CreateTaskRequest("ws-restart", TaskAction.PLAN, tf, null, null, null, null, null),
                TaskView.class);

        long postmaster = Long.parseLong(
                Files.readAllLines(data.resolve("pg/postmaster.pid")).getFirst().trim());
        first.destroyForcibly().waitFor();
        assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive))
                .as("the killed server's postmaster outlives it")
                .contains(true);

        Path log2 = dir.resolve("second.log");
        Process second = ServerProcess.launch(data, log2);
        try {
            int port2 = awaitReady(second, log2);
            assertThat(Files.readString(data.resolve("admin.token")).trim())
                    .as("credentials survive")
                    .isEqualTo(admin);
            ApiClient client2 = new ApiClient(URI.create("http://127.0.0.1:" + port2), () -> admin);
            TaskView after = client2.get(ApiPaths.fill(ApiPaths.TASK, queued.taskId()), TaskView.class);
            assertThat(after.status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false))
                    .as("the leftover postmaster was stopped")
                    .isFalse();
        } finally {
            second.destroy();
            second.waitFor();
        }
    }

    private static int awaitReady(Process process, Path log) {
        return await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            if (!process.isAlive()) throw new AssertionError("server exited: " + Files.readString(log));
                            return Files.readAllLines(log).stream()
                                    .filter(l -> l.startsWith(ServerProcess.READY))
                                    .findFirst()
                                    .map(l -> Integer.parseInt(l.substring(ServerProcess.READY.length())
                                            .trim()));
                        },
                        Optional::isPresent)
                .orElseThrow();
    }
}
