package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A draining agent says goodbye ({@code POST /agents/deregister}): it is offline at once, what it still held is
 * recovered at once (not a lease later: the ping interval here is 10 s, so the lease is 30 s), and nothing is
 * handed to it any more, not even through a long poll it left waiting on the server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeregisterTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void deregisteredAgentIsOfflineAtOnceAndItsPlanIsQueuedAgainAtOnce() {
        var leaving = server.registerAgent("leaving");
        TaskView plan = queue("ws-deregister-plan", TaskAction.PLAN);
        TaskAssignment t = pull(leaving, 0).tasks().getFirst();
        assertThat(t.taskId()).isEqualTo(plan.taskId());

        leaving.client().post(ApiPaths.AGENT_DEREGISTER, null, Void.class);

        assertThat(agent(leaving.agentId()).status()).isEqualTo("offline");
        TaskView requeued = await().atMost(Duration.ofSeconds(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> task(plan.taskId()), v -> v.status() != TaskStatus.RUNNING);
        assertThat(requeued.status()).isEqualTo(TaskStatus.QUEUED);

        var staying = server.registerAgent("staying");
        TaskAssignment again = pull(staying, 0).tasks().getFirst();
        assertThat(again.taskId()).isEqualTo(plan.taskId());
        assertThat(again.attempt()).isEqualTo(2);
    }

    @Test
    void aLongPollLeftWaitingByADeregisteredAgentClaimsNothing() throws Exception {
        var leaving = server.registerAgent("leaving-while-polling");
        // The agent's pull waits on the server; the agent then shuts down (its client gives up on the pull) and
        // deregisters. A task queued now must not be claimed for it.
        CompletableFuture<PullResponse> waiting = CompletableFuture.supplyAsync(() -> pull(leaving, 5));
        server.awaitWaitingPulls(1);
        leaving.client().post(ApiPaths.AGENT_DEREGISTER, null, Void.class);
        TaskView plan = queue("ws-deregister-poll", TaskAction.PLAN);

        List<TaskAssignment> handedOut;
        try {
            handedOut = waiting.get(30, TimeUnit.SECONDS).tasks();
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ApiException.class);
            handedOut = List.of();
        }
        assertThat(handedOut).as("tasks claimed for a deregistered agent").isEmpty();
        TaskView still = task(plan.taskId());
        assertThat(still.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(still.attempt())
                .as("no attempt was spent on the departed agent")
                .isZero();

        var staying = server.registerAgent("staying-after-poll");
        TaskAssignment claimed = pull(staying, 0).tasks().getFirst();
        assertThat(claimed.taskId()).isEqualTo(plan.taskId());
        assertThat(claimed.attempt()).isEqualTo(1);
    }

    static TaskView queue(String workspace, TaskAction action) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, null, null, null),
                        TaskView.class);
    }

    static PullResponse pull(TestServer.RegisteredAgent agent, int waitSeconds) {
        return agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 3, true, waitSeconds),
                        PullResponse.class,
                        Duration.ofSeconds(waitSeconds + 30));
    }

    static TaskView task(String taskId) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class);
    }

    static AgentView agent(String agentId) {
        return server.admin().get(ApiPaths.AGENTS, AgentList.class).agents().stream()
                .filter(a -> a.agentId().equals(agentId))
                .findFirst()
                .orElseThrow();
    }
}
