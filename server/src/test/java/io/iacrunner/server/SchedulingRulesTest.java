package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server's scheduling rules with simulated agents: labels, workspace order and lock, cancel, deregistration. */
class SchedulingRulesTest {
    TestServer server;

    @BeforeEach
    void start() {
        // Its simulated agents seldom ping: a long lease keeps their attempts current however slow the machine.
        server = TestServer.start(Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static PullResponse pull(TestServer.RegisteredAgent agent, int free, boolean apply) {
        return agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), free, apply, 0), PullResponse.class);
    }

    static List<String> ids(PullResponse r) {
        return r.tasks().stream().map(TaskAssignment::taskId).toList();
    }

    static void finish(TestServer.RegisteredAgent agent, TaskAssignment t, TaskStatus status) {
        agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), status, 0, null, 0, null),
                        TaskView.class);
    }

    WorkspaceView workspace(String ws) {
        return server.admin().get(ApiPaths.fill(ApiPaths.WORKSPACE, ws), WorkspaceView.class);
    }

    @Test
    void aTaskWithLabelsGoesOnlyToAnAgentOfAPoolThatHasThem() {
        // The pool comes first: a task whose labels no pool of its workspace has is refused (OrgIsolationTest).
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "idc1"),
                        new PoolConfig("idc1", 2, false, Map.of("region", "idc1", "tier", "x")),
                        PoolConfig.class);
        TaskView task = server.queue("ws-labels", TaskAction.PLAN, Map.of("region", "idc1"));
        var plain = server.registerAgent("plain");
        assertThat(ids(pull(plain, 3, true))).isEmpty();

        PoolToken token = server.admin().post(ApiPaths.fill(ApiPaths.POOL_TOKENS, "idc1"), Map.of(), PoolToken.class);
        RegisterResponse reg = server.withToken(token.token())
                .post(ApiPaths.AGENT_REGISTER, new RegisterRequest("idc", "t", "h"), RegisterResponse.class);
        assertThat(reg.pool().poolId()).isEqualTo("idc1");
        var idc = new TestServer.RegisteredAgent(reg.agentId(), server.withToken(reg.agentToken()), reg);
        assertThat(ids(pull(idc, 3, true))).containsExactly(task.taskId());
    }

    @Test
    void applysOfOneWorkspaceRunOneAtATimeInOrderWhilePlansRunBeside() {
        TaskView first = server.queue("ws-order", TaskAction.PLAN_APPLY, null);
        TaskView second = server.queue("ws-order", TaskAction.PLAN_APPLY, null);
        TaskView plan = server.queue("ws-order", TaskAction.PLAN, null);
        var a = server.registerAgent("a");
        var b = server.registerAgent("b");
        var c = server.registerAgent("c");

        PullResponse got = pull(a, 3, true);
        assertThat(ids(got)).containsExactly(first.taskId());
        assertThat(workspace("ws-order").lock().taskId()).isEqualTo(first.taskId());
        assertThat(ids(pull(b, 3, true)))
                .as("the second apply waits; the plan runs beside")
                .containsExactly(plan.taskId());
        assertThat(ids(pull(c, 3, true))).isEmpty();

        finish(a, got.tasks().getFirst(), TaskStatus.FAILED);
        assertThat(workspace("ws-order").lock())
                .as("a failed apply releases the lock")
                .isNull();
        assertThat(ids(pull(c, 3, true))).containsExactly(second.taskId());
    }

    @Test
    void cancelIsImmediateWhenQueuedAndReachesTheAgentOnceThroughPullAndAlwaysThroughPing() {
        TaskView queued = server.queue("ws-cancel-q", TaskAction.PLAN, null);
        TaskView canceled = server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, queued.taskId()), new CancelRequest(false), TaskView.class);
        assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);

        TaskView running = server.queue("ws-cancel-r", TaskAction.PLAN_APPLY, null);
        var agent = server.registerAgent("canceled");
        TaskAssignment t = pull(agent, 3, true).tasks().getFirst();
        TaskView requested = server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, running.taskId()), new CancelRequest(false), TaskView.class);
        assertThat(requested.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(requested.cancelRequested()).isTrue();

        assertThat(pull(agent, 2, false).cancel()).containsExactly(new CancelOrder(running.taskId(), false));
        long start = System.nanoTime();
        PullResponse again = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 2, false, 1), PullResponse.class);
        assertThat(again.cancel())
                .as("an order already handed out does not end a long poll again")
                .isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

        server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, running.taskId()), new CancelRequest(true), TaskView.class);
        assertThat(pull(agent, 2, false).cancel())
                .as("force upgrades the order")
                .containsExactly(new CancelOrder(running.taskId(), true));
        PingReply ping = agent.client()
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(
                                agent.agentId(),
                                true,
                                0,
                                3,
                                true,
                                List.of(running.taskId(), "t-0000000000000000"),
                                0,
                                0,
                                "t"),
                        PingReply.class);
        assertThat(ping.cancel())
                .containsExactlyInAnyOrder(
                        new CancelOrder(running.taskId(), true), new CancelOrder("t-0000000000000000", true));
        assertThat(ping.leaseSeconds()).as("three ping intervals").isEqualTo(60);

        finish(agent, t, TaskStatus.CANCELED);
        assertThat(workspace("ws-cancel-r").lock()).isNull();
        assertThatThrownBy(() -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_CANCEL, running.taskId()),
                                new CancelRequest(false),
                                TaskView.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("task_finished"));
    }

    @Test
    void aDeregisteredAgentsPlanIsQueuedAgainAtOnceAndItsApplyThatMayHaveStartedErrorsAndKeepsTheLock() {
        TaskView plan = server.queue("ws-dereg-plan", TaskAction.PLAN, null);
        var leaving = server.registerAgent("leaving");
        TaskAssignment p = pull(leaving, 1, false).tasks().getFirst();
        assertThat(p.taskId()).isEqualTo(plan.taskId());
        TaskView apply = server.queue("ws-dereg-apply", TaskAction.PLAN_APPLY, null);
        var applier = server.registerAgent("applier");
        TaskAssignment a = pull(applier, 3, true).tasks().getFirst();
        applier.job(a)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_PHASE, a.taskId()),
                        new PhaseUpdate(a.attempt(), TaskPhase.APPLYING),
                        Void.class);

        leaving.client().post(ApiPaths.AGENT_DEREGISTER, Map.of(), Void.class);
        applier.client().post(ApiPaths.AGENT_DEREGISTER, Map.of(), Void.class);

        TaskView requeued = server.admin().get(ApiPaths.fill(ApiPaths.TASK, plan.taskId()), TaskView.class);
        assertThat(requeued.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(requeued.message()).contains(leaving.agentId());
        TaskView errored = server.admin().get(ApiPaths.fill(ApiPaths.TASK, apply.taskId()), TaskView.class);
        assertThat(errored.status()).isEqualTo(TaskStatus.ERRORED);
        WorkspaceView ws = workspace("ws-dereg-apply");
        assertThat(ws.lock().taskId()).isEqualTo(apply.taskId());
        assertThat(ws.lock().reason()).contains("resources may exist");

        TaskView next = server.queue("ws-dereg-apply", TaskAction.PLAN_APPLY, null);
        var fresh = server.registerAgent("fresh");
        PullResponse got = pull(fresh, 3, true);
        assertThat(ids(got))
                .as("the retried plan, not the apply behind the lock")
                .containsExactly(plan.taskId());
        assertThat(got.tasks().getFirst().attempt()).isEqualTo(2);
        finish(fresh, got.tasks().getFirst(), TaskStatus.SUCCEEDED);

        assertThatThrownBy(() -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, "ws-dereg-apply"),
                                new UnlockRequest(false),
                                WorkspaceView.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("force_required"));
        assertThat(server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, "ws-dereg-apply"),
                                new UnlockRequest(true),
                                WorkspaceView.class)
                        .lock())
                .isNull();
        assertThat(ids(pull(fresh, 3, true))).containsExactly(next.taskId());
        assertThatThrownBy(() -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, "ws-dereg-apply"),
                                new UnlockRequest(true),
                                WorkspaceView.class))
                .as("a running apply's lock is not for unlocking")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("lock_held_by_running_task"));
    }

    @Test
    void deregisteredAgentsArePingRefusedAndShownOffline() {
        var agent = server.registerAgent("gone");
        agent.client().post(ApiPaths.AGENT_DEREGISTER, Map.of(), Void.class);
        assertThatThrownBy(() -> agent.client()
                        .post(
                                ApiPaths.AGENT_PING,
                                new AgentPing(agent.agentId(), false, 0, 3, false, List.of(), 0, 0, "t"),
                                PingReply.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("unknown_agent"));
        var list = server.admin().get(ApiPaths.AGENTS, io.iacrunner.protocol.AgentList.class);
        assertThat(list.agents())
                .filteredOn(v -> v.agentId().equals(agent.agentId()))
                .singleElement()
                .satisfies(v -> assertThat(v.status()).isEqualTo("offline"));
    }
}
