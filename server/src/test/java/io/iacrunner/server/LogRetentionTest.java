package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --log-retention-days}, here a day: finished tasks lose their log lines, nothing else. The day passes on the
 * server's clock at once, and the purge runs when the test says.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogRetentionTest {
    private static final Duration RETENTION = Duration.ofDays(1);

    @Test
    void linesOfTasksFinishedLongerAgoThanTheRetentionGoAndTheTasksAndRunningLogsStay() throws Exception {
        try (TestServer server =
                TestServer.start(c -> c.pingInterval(Duration.ofSeconds(60)).logRetention(RETENTION))) {
            var agent = server.registerAgent("retention");
            TaskAssignment finished = claim(server, agent, "ws-retention-done");
            send(agent, finished, 5);
            agent.job(finished)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_RESULT, finished.taskId()),
                            new TaskResult(finished.attempt(), TaskStatus.SUCCEEDED, 0, null, 5, null),
                            TaskView.class);
            TaskAssignment running = claim(server, agent, "ws-retention-running");
            send(agent, running, 3);

            server.clock().advance(RETENTION.minusMinutes(1));
            assertThat(server.server().retention().purgeOnce())
                    .as("not before the retention is over")
                    .isZero();
            assertThat(page(server, finished.taskId()).lines()).hasSize(5);
            server.clock().advance(Duration.ofMinutes(2));
            assertThat(server.server().retention().purgeOnce()).isPositive();

            assertThat(page(server, finished.taskId()).lines()).isEmpty();
            TaskView kept = server.admin().get(ApiPaths.fill(ApiPaths.TASK, finished.taskId()), TaskView.class);
            assertThat(kept.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(kept.logLines()).as("what the log held stays on record").isEqualTo(5);
            assertThat(kept.logComplete()).isTrue();
            assertThat(page(server, running.taskId()).lines())
                    .as("a running task's log is never purged")
                    .hasSize(3);
        }
    }

    private static TaskAssignment claim(TestServer server, TestServer.RegisteredAgent agent, String workspace) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        TaskView task = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, TaskAction.PLAN, tf, null, null, null, null, null),
                        TaskView.class);
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, false, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(task.taskId());
        return pulled.tasks().getFirst();
    }

    private static void send(TestServer.RegisteredAgent agent, TaskAssignment t, int count) {
        List<LogLine> lines = LongStream.range(0, count)
                .mapToObj(s -> new LogLine(s, Instant.now(), LogStream.STDOUT, "line " + s))
                .toList();
        assertThat(agent.job(t)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                                new LogBatch(t.attempt(), 0, lines),
                                LogAck.class)
                        .committedLines())
                .isEqualTo(count);
    }

    private static LogPage page(TestServer server, String taskId) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, taskId), LogPage.class);
    }
}
