package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.PrometheusText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} while real tasks run: each figure the operations page lists, with the value it must have. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetricsEndToEndTest {
    private static final Duration RUN = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    E2eHarness system;

    @BeforeEach
    void start() throws Exception {
        system = new E2eHarness(dir);
        system.startAgent("measured");
    }

    @AfterEach
    void stop() {
        system.close();
    }

    private PrometheusText metrics() {
        return system.server.metrics();
    }

    @Test
    void metricsReportQueuesTasksAgentsLogsViewersAndStoreLatencyAsTheyAre() throws Exception {
        // Two tasks only an agent-less pool could run: its queue depth is 2, the default pool's stays 0.
        Map<String, String> labels = system.server.ownPool("nobody");
        for (int i = 0; i < 2; i++) {
            system.server
                    .admin()
                    .post(
                            ApiPaths.TASKS,
                            new io.iacrunner.protocol.CreateTaskRequest(
                                    "metrics-waiting",
                                    io.iacrunner.protocol.TaskAction.PLAN,
                                    (com.fasterxml.jackson.databind.node.ObjectNode)
                                            io.iacrunner.protocol.WireJson.lenient()
                                                    .readTree(E2eHarness.printingConfig(1, null)),
                                    null,
                                    null,
                                    labels,
                                    null,
                                    null),
                            TaskView.class);
        }
        // A deregistered agent is offline at once.
        var gone = system.server.registerAgent("gone");
        gone.client().post(ApiPaths.AGENT_DEREGISTER, Map.of(), Void.class);

        Path gate = system.shared().resolve("gate-" + UUID.randomUUID());
        String first = system.createTask(
                "metrics-a",
                "plan_apply",
                E2eHarness.localExecConfig(
                        UUID.randomUUID().toString(),
                        "echo started; n=0; while [ ! -e '" + gate
                                + "' ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n+1)); done; echo done"));
        await("the first task prints and waits")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> E2eHarness.plain(system.logText(first)).contains("(local-exec): started"));
        LiveViewer viewer = LiveViewer.open(system.server.admin(), first, 0, true);
        // The client's handshake can complete before the server has checked the token and counted the viewer.
        await("the viewer is counted")
                .atMost(Duration.ofSeconds(10))
                .until(() -> metrics().value("iac_log_viewers") == 1);

        PrometheusText during = metrics();
        assertThat(during.value("iac_queue_depth{pool=\"nobody\"}")).isEqualTo(2);
        assertThat(during.value("iac_queue_depth{pool=\"default-pool\"}")).isZero();
        assertThat(during.value("iac_tasks_running{action=\"plan_apply\"}")).isEqualTo(1);
        assertThat(during.value("iac_tasks_running{action=\"plan\"}")).isZero();
        assertThat(during.value("iac_agents{status=\"busy\"}")).isEqualTo(1);
        assertThat(during.value("iac_agents{status=\"offline\"}")).isEqualTo(1);
        assertThat(during.value("iac_agents{status=\"idle\"}")).isZero();
        assertThat(during.value("iac_log_viewers")).isEqualTo(1);

        Files.writeString(gate, "go");
        assertThat(viewer.untilEnd(RUN).getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        String second = system.createTask("metrics-b", "plan", E2eHarness.printingConfig(50, null));
        TaskView ended = await("the second task")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> system.show(second), t -> t.status().isTerminal());
        assertThat(ended.status()).isEqualTo(TaskStatus.SUCCEEDED);

        await("the viewer is gone")
                .atMost(Duration.ofSeconds(10))
                .until(() -> metrics().value("iac_log_viewers") == 0);
        await("the agent is idle")
                .atMost(Duration.ofSeconds(10))
                .until(() -> metrics().value("iac_agents{status=\"idle\"}") == 1);
        PrometheusText after = metrics();
        assertThat(after.value("iac_tasks_running{action=\"plan_apply\"}")).isZero();
        long lines = 0;
        long bytes = 0;
        for (String id : new String[] {first, second}) {
            lines += system.show(id).logLines();
            bytes += system.logText(id).getBytes(StandardCharsets.UTF_8).length;
        }
        assertThat(after.value("iac_log_ingested_lines_total")).isEqualTo(lines);
        assertThat(after.value("iac_log_ingested_bytes_total")).isEqualTo(bytes);
        assertThat(after.value("iac_queue_to_start_seconds_count{attempt=\"1\"}"))
                .as("tasks started")
                .isEqualTo(2);
        assertThat(after.value("iac_queue_to_start_seconds_sum{attempt=\"1\"}")).isPositive();
        assertThat(after.has("iac_tasks_finished_total")).isTrue();
        assertThat(after.has("iac_run_phase_seconds_count")).isTrue();
        assertThat(after.has("iac_agent_plan_slots")).isTrue();
        assertThat(after.value("iac_store_statement_seconds_count")).isPositive();
        assertThat(after.has("hikaricp_connections_acquire_seconds_count"))
                .as("the pool's wait for a connection")
                .isTrue();
        assertThat(after.has("jvm_memory_used_bytes")).isTrue();
        assertThat(after.has("jvm_gc_pause_seconds_count") || after.has("jvm_gc_memory_allocated_bytes_total"))
                .isTrue();
        assertThat(after.has("process_cpu_usage")).isTrue();
    }
}
