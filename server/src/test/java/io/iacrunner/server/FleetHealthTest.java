package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.ErrorCodes;
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
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet as operators see it (issue 19): what pings say, kept as columns and listed; a pool's minimum agent version;
 * a pool-wide limit on running tasks, enforced in the claim. Each test keeps to a pool of its own.
 */
class FleetHealthTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void putPool(PoolConfig pool) {
        server.admin().put(ApiPaths.fill(ApiPaths.POOL, pool.poolId()), pool, PoolConfig.class);
    }

    private static PoolConfig pool(String id) {
        return server.admin().get(ApiPaths.fill(ApiPaths.POOL, id), PoolConfig.class);
    }

    private static RegisterResponse register(String poolToken, String name, String version) {
        return server.withToken(poolToken)
                .post(
                        ApiPaths.AGENT_REGISTER,
                        new RegisterRequest(name, version, "h", Isolation.SANDBOX, null),
                        RegisterResponse.class);
    }

    private static List<AgentView> agents() {
        return server.admin().get(ApiPaths.AGENTS, AgentList.class).agents();
    }

    private static AgentView listed(String agentId) {
        return agents().stream()
                .filter(a -> a.agentId().equals(agentId))
                .findFirst()
                .orElseThrow();
    }

    private static AgentPing ping(String agentId, String version) {
        return new AgentPing(
                agentId,
                true,
                2,
                8,
                false,
                List.of(),
                0.934,
                0.41,
                version,
                Isolation.NONE,
                false,
                2,
                "cpu waiting 71 %");
    }

    @Test
    void aPingsFiguresAreKeptAndListed() {
        var agent = server.registerAgent("reporting");
        assertThat(listed(agent.agentId()).planSlots())
                .as("nothing said before the first ping")
                .isNull();

        agent.client().post(ApiPaths.AGENT_PING, ping(agent.agentId(), "2.3.0"), PingReply.class);

        assertThat(listed(agent.agentId())).satisfies(a -> {
            assertThat(a.cpuUsage()).isEqualTo(0.934);
            assertThat(a.memUsage()).isEqualTo(0.41);
            assertThat(a.planLimit()).isEqualTo(8);
            assertThat(a.planSlots()).isEqualTo(2);
            assertThat(a.slotsReason()).isEqualTo("cpu waiting 71 %");
            assertThat(a.plansRunning()).isEqualTo(2);
            assertThat(a.applyRunning()).isFalse();
            assertThat(a.version()).isEqualTo("2.3.0");
            assertThat(a.isolation()).isEqualTo(Isolation.NONE);
        });
    }

    @Test
    void anAgentBelowThePoolsMinimumVersionCannotRegisterNorPingNamingBothVersions() {
        putPool(new PoolConfig("versioned", 3, false, Map.of(), null, "2.0", null));
        String token = server.issuePoolToken("versioned");
        int before = agents().size();

        assertThatThrownBy(() -> register(token, "old", "1.9.3")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(403);
            assertThat(e.code()).isEqualTo(ErrorCodes.AGENT_VERSION_TOO_OLD);
            assertThat(e.getMessage()).contains("'1.9.3'").contains("min_agent_version 2.0");
        });
        assertThatThrownBy(() -> register(token, "dev-build", "dev"))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCodes.AGENT_VERSION_TOO_OLD));
        assertThat(agents()).as("nothing registered").hasSize(before);

        RegisterResponse current = register(token, "current", "2.0.1-SNAPSHOT");
        var client = server.withToken(current.agentToken());
        assertThatThrownBy(() -> client.post(ApiPaths.AGENT_PING, ping(current.agentId(), "1.2"), PingReply.class))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCodes.AGENT_VERSION_TOO_OLD);
                    assertThat(e.getMessage()).contains("'1.2'").contains("2.0");
                });
        assertThat(listed(current.agentId()).version())
                .as("the refused ping changed nothing")
                .isEqualTo("2.0.1-SNAPSHOT");
        assertThat(listed(current.agentId()).planSlots()).isNull();
        client.post(ApiPaths.AGENT_PING, ping(current.agentId(), "2.10"), PingReply.class);
        assertThat(listed(current.agentId()).version()).isEqualTo("2.10");
    }

    @Test
    void badPoolLimitsAreRefusedAndChangeNothing() {
        putPool(new PoolConfig("limits", 3, false, Map.of(), null, "1.4", 5));
        for (PoolConfig bad : List.of(
                new PoolConfig("limits", 3, false, Map.of(), null, "one-point-four", 5),
                new PoolConfig("limits", 3, false, Map.of(), null, "1.4", 0))) {
            assertThatThrownBy(() -> putPool(bad)).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isIn("invalid_min_agent_version", "invalid_max_running");
            });
        }
        assertThat(pool("limits")).satisfies(p -> {
            assertThat(p.minAgentVersion()).isEqualTo("1.4");
            assertThat(p.maxRunning()).isEqualTo(5);
        });
    }

    @Test
    void thePoolsMaxRunningHoldsAcrossItsAgents() {
        Map<String, String> labels = Map.of("test", "pool-wide");
        putPool(new PoolConfig("pool-wide", 3, false, labels, null, null, 2));
        var first = server.registerAgentInPool("first", "pool-wide");
        var second = server.registerAgentInPool("second", "pool-wide");
        for (int i = 0; i < 4; i++) server.queuePlan("pool-wide-" + i, labels);

        PullResponse firstGot = pull(first);
        PullResponse secondGot = pull(second);

        assertThat(firstGot.tasks())
                .as("2 of the 3 slots it asked for: the pool's limit")
                .hasSize(2);
        assertThat(secondGot.tasks())
                .as("the pool is full, whatever this agent has free")
                .isEmpty();
        var done = firstGot.tasks().getFirst();
        first.job(done)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, done.taskId()),
                        new TaskResult(done.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                        TaskView.class);
        assertThat(pull(second).tasks()).as("one finished: room for one").hasSize(1);
        assertThat(pull(first).tasks()).isEmpty();
    }

    private static PullResponse pull(TestServer.RegisteredAgent agent) {
        return agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 3, false, 0), PullResponse.class);
    }

    @Test
    void metricsCountFinishedRunsTheirPhasesEveryAttemptsWaitAndEachAgentsLoad() {
        Map<String, String> labels = Map.of("test", "metered");
        putPool(new PoolConfig("metered", 3, false, labels, null, null, null));
        var agent = server.registerAgentInPool("metered-agent", "metered");
        agent.client().post(ApiPaths.AGENT_PING, ping(agent.agentId(), "2.3.0"), PingReply.class);
        var before = server.metrics();
        String finished = "iac_tasks_finished_total{action=\"plan_apply\",status=\"succeeded\"}";
        String planning = "iac_run_phase_seconds_count{action=\"plan_apply\",phase=\"planning\"}";
        String applying = "iac_run_phase_seconds_count{action=\"plan_apply\",phase=\"applying\"}";
        String firstAttempts = "iac_queue_to_start_seconds_count{attempt=\"1\"}";

        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest("metered", TaskAction.PLAN_APPLY, tf, null, null, labels, null, null),
                        TaskView.class);
        TaskAssignment t = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 0, true, 0), PullResponse.class)
                .tasks()
                .getFirst();
        var job = agent.job(t);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, t.taskId()),
                new PhaseUpdate(t.attempt(), TaskPhase.PLANNING),
                Void.class);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, t.taskId()),
                new PhaseUpdate(t.attempt(), TaskPhase.PLANNING),
                Void.class);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, t.taskId()),
                new PhaseUpdate(t.attempt(), TaskPhase.APPLYING),
                Void.class);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                TaskView.class);
        var after = server.metrics();

        assertThat(after.value(finished) - before.find(finished).orElse(0.0)).isEqualTo(1);
        assertThat(after.value(planning) - before.find(planning).orElse(0.0))
                .as("the same phase reported twice is one phase")
                .isEqualTo(1);
        assertThat(after.value(applying) - before.find(applying).orElse(0.0)).isEqualTo(1);
        assertThat(after.value(firstAttempts) - before.find(firstAttempts).orElse(0.0))
                .isEqualTo(1);
        String who = "{agent=\"" + agent.agentId() + "\",name=\"metered-agent\",pool=\"metered\"}";
        assertThat(after.value("iac_agent_plan_slots" + who)).isEqualTo(2);
        assertThat(after.value("iac_agent_cpu_usage" + who)).isEqualTo(0.934);
        assertThat(after.value("iac_agent_memory_usage" + who)).isEqualTo(0.41);
        assertThat(after.value("iac_agents_by_version{version=\"2.3.0\"}")).isGreaterThanOrEqualTo(1);
    }
}
