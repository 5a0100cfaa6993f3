package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
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
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What agents say about themselves and what they claim (issue 14): their isolation as the agent list shows it,
 * attempts handed back unrun, a run's max_run_time in the claim, and the accept list. One server for all: each test
 * keeps to pools of its own (labelled tasks), so none claims another's work.
 */
class AgentClaimsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        // The simulated agents seldom ping: a long lease keeps their attempts current however slow the machine.
        server = TestServer.start(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static PullResponse pull(TestServer.RegisteredAgent agent, int free, boolean apply) {
        return agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), free, apply, 0), PullResponse.class);
    }

    static void finish(TestServer.RegisteredAgent agent, TaskAssignment t, TaskStatus status) {
        agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), status, 0, null, 0, null),
                        TaskView.class);
    }

    static WorkspaceView workspace(String ws) {
        return server.admin().get(ApiPaths.fill(ApiPaths.WORKSPACE, ws), WorkspaceView.class);
    }

    private static AgentView listed(String agentId) {
        return server.admin().get(ApiPaths.AGENTS, AgentList.class).agents().stream()
                .filter(a -> a.agentId().equals(agentId))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void anAgentWithoutASandboxIsListedAsSuchFromItsRegistrationAndEveryPing() {
        RegisterResponse open = server.withToken(server.poolToken())
                .post(
                        ApiPaths.AGENT_REGISTER,
                        new RegisterRequest("open", "t", "h", Isolation.NONE, null),
                        RegisterResponse.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.NONE);

        var client = server.withToken(open.agentToken());
        client.post(
                ApiPaths.AGENT_PING,
                new AgentPing(open.agentId(), false, 0, 3, false, List.of(), 0, 0, "t", Isolation.NONE, false),
                PingReply.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.NONE);

        // Restarted with a sandbox under the same identity: its next ping says so.
        client.post(
                ApiPaths.AGENT_PING,
                new AgentPing(open.agentId(), false, 0, 3, false, List.of(), 0, 0, "t", Isolation.SANDBOX, false),
                PingReply.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.SANDBOX);
    }

    @Test
    void anAgentThatDoesNotSayIsUnknownAndAPingThatDoesNotSayChangesNothing() {
        var quiet = server.registerAgent("quiet");
        assertThat(listed(quiet.agentId()).isolation()).isNull();
        RegisterResponse sandboxed = server.withToken(server.poolToken())
                .post(
                        ApiPaths.AGENT_REGISTER,
                        new RegisterRequest("boxed", "t", "h", Isolation.SANDBOX, null),
                        RegisterResponse.class);
        server.withToken(sandboxed.agentToken())
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(sandboxed.agentId(), false, 0, 3, false, List.of(), 0, 0, "t"),
                        PingReply.class);
        assertThat(listed(sandboxed.agentId()).isolation()).isEqualTo(Isolation.SANDBOX);
    }

    @Test
    void anIsolationThatDoesNotExistIsRefused() {
        RawHttp raw = new RawHttp(server.baseUrl());
        RawHttp.Reply reply = raw.send(
                "POST",
                ApiPaths.AGENT_REGISTER,
                server.poolToken(),
                "{\"name\": \"n\", \"version\": \"v\", \"hostname\": \"h\", \"isolation\": \"chroot\"}");
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(reply.errorCode()).isEqualTo("invalid_field");
    }

    @Test
    void aTaskHandedBackUnrunIsQueuedAgainWithItsLockReleasedAndWithoutSpendingAnAttempt() {
        Map<String, String> pool = server.ownPool("hand-back");
        TaskView queued = server.queue("ws-hand-back", TaskAction.PLAN_APPLY, pool);
        var full = server.registerAgentInPool("full", "hand-back");
        var other = server.registerAgentInPool("other", "hand-back");
        // Handed back again and again (say, by agents whose pool limit changed under them): never errored for it.
        for (int i = 0; i < 5; i++) {
            TaskAssignment claimed = pull(full, 1, true).tasks().getFirst();
            assertThat(claimed.attempt()).isEqualTo(1);
            assertThat(workspace("ws-hand-back").lock()).isNotNull();
            TaskView back = full.job(claimed)
                    .post(
                            ApiPaths.fill(ApiPaths.TASK_HAND_BACK, claimed.taskId()),
                            new HandBack(claimed.attempt(), "no room"),
                            TaskView.class);
            assertThat(back.status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(back.attempt()).as("the attempt is given back").isZero();
            assertThat(back.message()).contains("handed back unrun", "no room");
            assertThat(workspace("ws-hand-back").lock())
                    .as("the lock goes with it")
                    .isNull();
        }
        TaskAssignment stale = pull(full, 1, true).tasks().getFirst();
        full.job(stale)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_HAND_BACK, stale.taskId()),
                        new HandBack(1, "no room"),
                        TaskView.class);

        TaskAssignment elsewhere = pull(other, 1, true).tasks().getFirst();
        assertThat(elsewhere.taskId()).isEqualTo(queued.taskId());
        assertThat(elsewhere.attempt()).isEqualTo(1);
        assertThatThrownBy(() -> full.job(stale)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_RESULT, stale.taskId()),
                                new TaskResult(1, TaskStatus.FAILED, 1, null, 0, null),
                                TaskView.class))
                .as(
                        "the handed-back attempt's token names its agent: it cannot speak for the new attempt of the same number")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("stale_attempt"));
        finish(other, elsewhere, TaskStatus.SUCCEEDED);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, queued.taskId()), TaskView.class)
                        .status())
                .isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void aBegunAttemptHandedBackIsQueuedAgainAsASpentAttemptButOneThatMayHaveAppliedMustReport() {
        Map<String, String> pool = server.ownPool("hand-back-begun");
        TaskView plan = server.queue("ws-hand-back-begun", TaskAction.PLAN, pool);
        var agent = server.registerAgentInPool("begun", "hand-back-begun");
        TaskAssignment claimed = pull(agent, 1, false).tasks().getFirst();
        agent.job(claimed)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_PHASE, claimed.taskId()),
                        new PhaseUpdate(1, TaskPhase.PLANNING),
                        Void.class);

        // Its agent restarted mid-plan: the plan is queued again, and the attempt it spent counts.
        TaskView requeued = agent.job(claimed)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_HAND_BACK, claimed.taskId()),
                        new HandBack(1, "the agent restarted while it planned"),
                        TaskView.class);
        assertThat(requeued.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(requeued.attempt()).as("spent").isEqualTo(1);
        assertThat(requeued.message())
                .contains("gave it back")
                .contains("the agent restarted while it planned")
                .contains("queued again");
        TaskAssignment second = pull(agent, 1, false).tasks().getFirst();
        assertThat(second.attempt()).isEqualTo(2);
        finish(agent, second, TaskStatus.SUCCEEDED);

        // An apply that may have started is never handed back: its result says what happened.
        TaskView apply = server.queue("ws-hand-back-applying", TaskAction.PLAN_APPLY, pool);
        TaskAssignment applying = pull(agent, 0, true).tasks().getFirst();
        assertThat(applying.taskId()).isEqualTo(apply.taskId());
        agent.job(applying)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_PHASE, applying.taskId()),
                        new PhaseUpdate(1, TaskPhase.APPLYING),
                        Void.class);
        assertThatThrownBy(() -> agent.job(applying)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_HAND_BACK, applying.taskId()),
                                new HandBack(1, "changed my mind"),
                                TaskView.class))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("attempt_applying");
                });
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, applying.taskId()), TaskView.class)
                        .status())
                .isEqualTo(TaskStatus.RUNNING);
        assertThat(second.taskId()).isEqualTo(plan.taskId());
    }

    @Test
    void aClaimCarriesTheWorkspacesMaxRunTimeElseItsPoolsAndBadDurationsAreRefused() {
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "timed"),
                        new PoolConfig("timed", 3, false, Map.of("pool", "timed"), "90m"),
                        PoolConfig.class);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.POOL, "timed"), PoolConfig.class)
                        .maxRunTime())
                .isEqualTo("1h30m");
        var agent = server.registerAgentInPool("timed-agent", "timed");
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "ws-timed"),
                        new WorkspaceSettings(null, "20s"),
                        WorkspaceView.class);
        assertThat(workspace("ws-timed").maxRunTime()).isEqualTo("20s");

        server.queue("ws-timed", TaskAction.PLAN, Map.of("pool", "timed"));
        server.queue("ws-untimed", TaskAction.PLAN, Map.of("pool", "timed"));
        List<TaskAssignment> claimed = pull(agent, 2, false).tasks();
        assertThat(claimed)
                .extracting(TaskAssignment::workspaceId, TaskAssignment::maxRunSeconds)
                .containsExactlyInAnyOrder(tuple("ws-timed", 20L), tuple("ws-untimed", 5400L));

        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "timed"),
                        new PoolConfig("timed", 3, false, Map.of("pool", "timed")),
                        PoolConfig.class);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.POOL, "timed"), PoolConfig.class)
                        .maxRunTime())
                .as("left out: the default")
                .isEqualTo("2h");
        for (String bad : List.of("2 hours", "0s", "1d", "")) {
            assertThatThrownBy(() -> server.admin()
                            .put(
                                    ApiPaths.fill(ApiPaths.WORKSPACE, "ws-timed"),
                                    new WorkspaceSettings(null, bad),
                                    WorkspaceView.class))
                    .as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.code()).isEqualTo("invalid_max_run_time");
                        assertThat(e.getMessage()).startsWith("max_run_time: '" + bad + "'");
                    });
        }
        assertThat(workspace("ws-timed").maxRunTime())
                .as("unchanged by the refusals")
                .isEqualTo("20s");
    }

    @Test
    void anAgentThatAcceptsPlansOnlyNeverClaimsAPlanApplyUnder20ConcurrentPulls() throws Exception {
        Map<String, String> labels = Map.of("test", "accept");
        server.setPool("accept", 50, false, labels);
        for (int i = 0; i < 20; i++) {
            server.queue("ws-accept-" + i, TaskAction.PLAN_APPLY, labels);
            server.queue("ws-accept-" + i, TaskAction.PLAN, labels);
        }
        List<TestServer.RegisteredAgent> agents = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) agents.add(server.registerAgentInPool("planner-" + i, "accept"));
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<PullResponse>> pulls = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(20)) {
            for (var agent : agents) {
                pulls.add(pool.submit(() -> {
                    go.await();
                    // It says it could take an apply: the accept list alone must keep applies away.
                    return agent.client()
                            .post(
                                    ApiPaths.TASK_PULL,
                                    new PullRequest(agent.agentId(), 2, true, 0, List.of(TaskAction.PLAN)),
                                    PullResponse.class);
                }));
            }
            go.countDown();
            List<TaskAssignment> claimed = new java.util.ArrayList<>();
            for (var pull : pulls)
                claimed.addAll(
                        pull.get(60, java.util.concurrent.TimeUnit.SECONDS).tasks());
            assertThat(claimed)
                    .as("20 plans claimed, each once")
                    .hasSize(20)
                    .extracting(TaskAssignment::taskId)
                    .doesNotHaveDuplicates();
            assertThat(claimed).extracting(TaskAssignment::action).containsOnly(TaskAction.PLAN);
        }
        var applier = server.registerAgentInPool("applier", "accept");
        PullResponse applies = applier.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(applier.agentId(), 3, true, 0, List.of(TaskAction.PLAN_APPLY)),
                        PullResponse.class);
        assertThat(applies.tasks())
                .singleElement()
                .satisfies(t -> assertThat(t.action()).isEqualTo(TaskAction.PLAN_APPLY));

        RawHttp.Reply empty = new RawHttp(server.baseUrl())
                .send(
                        "POST",
                        ApiPaths.TASK_PULL,
                        agents.getFirst().registration().agentToken(),
                        "{\"free_plan_slots\": 1, \"can_take_apply\": true, \"wait_seconds\": 0, \"accept\": []}");
        assertThat(empty.status()).as(empty.body()).isEqualTo(400);
        assertThat(empty.errorCode()).isEqualTo("invalid_accept");
    }
}
