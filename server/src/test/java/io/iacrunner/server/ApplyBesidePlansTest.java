package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pool's {@code allow_apply_concurrent}, as the server's claim enforces it whatever an agent asks for: with it, an
 * agent runs plans beside its apply; without it, never, not even when 20 pulls of one agent race each other.
 */
class ApplyBesidePlansTest {
    private static final int PLAN_LIMIT = 3;
    private static final int PLANS = 6;

    static TestServer server;

    @BeforeAll
    static void start() {
        // The simulated agent seldom pings: a long lease keeps its attempts current however slow the machine.
        server = TestServer.start(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void withApplyConcurrentPlansRunBesideAnApplyOnOneAgent() throws Exception {
        List<List<TaskAction>> rounds = drain("beside", true);

        assertThat(rounds)
                .as("the apply and plans up to the pool's limit, at once")
                .anySatisfy(running -> {
                    assertThat(running)
                            .filteredOn(a -> a == TaskAction.PLAN_APPLY)
                            .hasSize(1);
                    assertThat(running).filteredOn(a -> a == TaskAction.PLAN).hasSize(PLAN_LIMIT);
                });
        assertThat(rounds)
                .allSatisfy(running -> assertThat(running)
                        .filteredOn(a -> a == TaskAction.PLAN)
                        .hasSizeLessThanOrEqualTo(PLAN_LIMIT));
    }

    @Test
    void withoutApplyConcurrentNoPlanRunsBesideAnApplyUnder20ConcurrentPulls() throws Exception {
        List<List<TaskAction>> rounds = drain("alone", false);

        assertThat(rounds)
                .as("an apply runs alone on its agent")
                .allSatisfy(running -> assertThat(
                                running.contains(TaskAction.PLAN_APPLY) && running.contains(TaskAction.PLAN))
                        .as("apply and plan together: %s", running)
                        .isFalse());
        assertThat(rounds)
                .as("the apply did run")
                .anySatisfy(running -> assertThat(running).containsExactly(TaskAction.PLAN_APPLY));
    }

    /**
     * Queues an apply and then {@link #PLANS} plans for one agent of a pool of its own, then, until every task has
     * ended: 20 concurrent pulls of that agent (each saying it has every plan slot free and could take an apply, as a
     * confused or hostile agent might), then the oldest running task reports. Returns what ran at once after each
     * round of pulls.
     */
    private static List<List<TaskAction>> drain(String poolId, boolean allowApplyConcurrent) throws Exception {
        Map<String, String> labels = Map.of("test", poolId);
        server.setPool(poolId, PLAN_LIMIT, allowApplyConcurrent, labels);
        var agent = server.registerAgentInPool(poolId + "-agent", poolId);
        queue(poolId + "-applied", TaskAction.PLAN_APPLY, labels);
        for (int i = 0; i < PLANS; i++) queue(poolId + "-planned-" + i, TaskAction.PLAN, labels);

        Map<String, TaskAssignment> running = new LinkedHashMap<>();
        List<List<TaskAction>> rounds = new ArrayList<>();
        int ended = 0;
        while (ended < PLANS + 1) {
            for (TaskAssignment t : pullConcurrently(agent, 20)) {
                assertThat(running.put(t.taskId(), t))
                        .as("claimed twice: %s", t.taskId())
                        .isNull();
            }
            rounds.add(running.values().stream().map(TaskAssignment::action).toList());
            assertThat(running)
                    .as("nothing runs, yet %d tasks have not ended", PLANS + 1 - ended)
                    .isNotEmpty();
            TaskAssignment oldest = running.values().iterator().next();
            agent.job(oldest)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_RESULT, oldest.taskId()),
                            new TaskResult(oldest.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                            TaskView.class);
            running.remove(oldest.taskId());
            ended++;
        }
        return rounds;
    }

    private static List<TaskAssignment> pullConcurrently(TestServer.RegisteredAgent agent, int pulls) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<PullResponse>> replies = new ArrayList<>();
        try (var threads = Executors.newFixedThreadPool(pulls)) {
            for (int i = 0; i < pulls; i++) {
                replies.add(threads.submit(() -> {
                    go.await();
                    return agent.client()
                            .post(
                                    ApiPaths.TASK_PULL,
                                    new PullRequest(agent.agentId(), PLAN_LIMIT, true, 0),
                                    PullResponse.class);
                }));
            }
            go.countDown();
            List<TaskAssignment> claimed = new ArrayList<>();
            for (var reply : replies)
                claimed.addAll(reply.get(60, TimeUnit.SECONDS).tasks());
            return claimed;
        }
    }

    private static void queue(String workspace, TaskAction action, Map<String, String> labels) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                        TaskView.class);
    }
}
