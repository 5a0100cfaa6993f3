package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.ReviewRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.util.StoreClock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The claim is a status change like any other: queued to running, as the transition table allows, and only for a task
 * that is still queued. Its UPDATE is called directly with tasks the pull's own pick would never offer it, on the
 * database of a real server whose API puts them in each status.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClaimTransitionTest {
    static TestServer server;
    static Jdbi jdbi;
    static TaskStore tasks;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        jdbi = server.store();
        tasks = new TaskStore(jdbi, 0, null, StoreClock.of(server.clock()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(value = TaskStatus.class, mode = EnumSource.Mode.EXCLUDE, names = "QUEUED")
    void aTaskThatIsNotQueuedIsNotClaimedAsTheTransitionTableHasIt(TaskStatus status) throws Exception {
        assertThat(status.canMoveTo(TaskStatus.RUNNING))
                .as("the table lets only a queued task become running")
                .isFalse();
        String name = "claim-" + status.wireName();
        Map<String, String> labels = server.ownPool(name);
        var holder = server.registerAgentInPool(name + "-holder", name);
        var other = server.registerAgentInPool(name + "-other", name);
        boolean reviewed = status == TaskStatus.PLANNED || status == TaskStatus.DISCARDED;
        TaskView task = reviewed ? queueReviewedApply("ws-" + name, labels) : server.queuePlan("ws-" + name, labels);
        TaskAssignment held = claimOne(holder, task.taskId());
        if (reviewed) {
            byte[] bundle = "plan".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            holder.job(held)
                    .put(
                            ApiPaths.fill(ApiPaths.TASK_PLAN_FILE, task.taskId()),
                            new PlanFileUpload(
                                    held.attempt(),
                                    java.util.HexFormat.of()
                                            .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                                    .digest(bundle)),
                                    null,
                                    null,
                                    java.util.Base64.getEncoder().encodeToString(bundle)),
                            Void.class);
            holder.job(held)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_RESULT, task.taskId()),
                            new TaskResult(held.attempt(), TaskStatus.PLANNED, 0, null, 0, null),
                            TaskView.class);
            if (status == TaskStatus.DISCARDED) {
                server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_DISCARD, task.taskId()),
                                new ReviewRequest(null),
                                TaskView.class);
            }
        } else if (status != TaskStatus.RUNNING) {
            holder.job(held)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_RESULT, task.taskId()),
                            new TaskResult(held.attempt(), status, 0, status.wireName(), 0, null),
                            TaskView.class);
        }
        TaskView before = tasks.find(task.taskId()).orElseThrow();
        assertThat(before.status()).isEqualTo(status);

        List<TaskStore.Claimed> taken =
                jdbi.inTransaction(h -> tasks.take(h, other.agentId(), pool(name, labels), List.of(task.taskId())));

        assertThat(taken).isEmpty();
        assertThat(tasks.find(task.taskId()).orElseThrow())
                .as("not claimed, nothing changed")
                .isEqualTo(before);
    }

    @Test
    void aQueuedTaskIsClaimedAsANewAttemptOfTheClaimingAgent() {
        String name = "claim-queued";
        Map<String, String> labels = server.ownPool(name);
        var agent = server.registerAgentInPool(name, name);
        TaskView task = server.queuePlan("ws-" + name, labels);

        List<TaskStore.Claimed> taken =
                jdbi.inTransaction(h -> tasks.take(h, agent.agentId(), pool(name, labels), List.of(task.taskId())));

        assertThat(taken).extracting(c -> c.assignment().taskId()).containsExactly(task.taskId());
        TaskView running = tasks.find(task.taskId()).orElseThrow();
        assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(running.agentId()).isEqualTo(agent.agentId());
        assertThat(running.attempt()).isEqualTo(1);
    }

    private static PoolConfig pool(String name, Map<String, String> labels) {
        return new PoolConfig(name, 3, false, labels);
    }

    private static TaskAssignment claimOne(TestServer.RegisteredAgent agent, String taskId) {
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(taskId);
        return pulled.tasks().getFirst();
    }

    /** A plan_apply on a workspace without auto-apply: its plan waits for confirmation. */
    private static TaskView queueReviewedApply(String workspace, Map<String, String> labels) {
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, workspace),
                        new WorkspaceSettings(null, null, false),
                        io.iacrunner.protocol.WorkspaceView.class);
        var tf = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, TaskAction.PLAN_APPLY, tf, null, null, labels, null, null),
                        TaskView.class);
    }
}
