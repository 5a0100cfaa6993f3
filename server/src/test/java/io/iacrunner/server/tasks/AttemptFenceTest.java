package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.logs.LogChunkCodec;
import io.iacrunner.server.logs.LogStore;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.state.StateStore;
import io.iacrunner.server.tasks.TaskStore.RunningAttempt;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.util.StoreClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every write for an agent's running attempt checks the attempt in its own SQL: given a {@link RunningAttempt} kept
 * past its transaction, whose attempt has since been superseded, it is refused and changes nothing, with no caller
 * having locked anything first. The stores are called directly, on the database of a real server whose API plays the
 * agents (claims, a lease lost, the task queued again and claimed anew).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AttemptFenceTest {
    private static final Duration PING = Duration.ofSeconds(1);
    private static final Duration LEASE = PING.multipliedBy(3);

    static TestServer server;
    static Jdbi jdbi;
    static TaskStore tasks;
    static LogStore logs;
    static StateStore states;

    @BeforeAll
    static void start() {
        server = TestServer.start(
                c -> c.pingInterval(PING).leases(new ServerConfig.Leases(LEASE, Duration.ofHours(24))));
        jdbi = server.store();
        tasks = new TaskStore(jdbi, 0, null, StoreClock.of(server.clock()));
        logs = new LogStore(jdbi);
        states = new StateStore(jdbi);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Each write for a running attempt, as an upload makes it. */
    enum Write {
        PHASE((h, attempt) -> tasks.setPhase(h, attempt, TaskPhase.APPLYING)),
        PLAN_SUMMARY((h, attempt) ->
                tasks.setPlanSummary(h, attempt, new PlanSummary(List.of("terraform_data.x"), List.of(), List.of()))),
        LOG_LINES((h, attempt) -> tasks.setLogLines(h, attempt, 1)),
        LOG_CHUNK((h, attempt) -> logs.appendChunk(
                h,
                attempt,
                0,
                1,
                LogChunkCodec.encode(List.of(new LogLine(0, Instant.now(), LogStream.STDOUT, "late"))))),
        STATE_VERSION((h, attempt) -> states.insertFromApply(h, attempt, 1, 1, "lineage", "sha256", "{}")),
        RESULT((h, attempt) -> tasks.move(h, attempt, TaskStatus.SUCCEEDED, TaskStore.Outcome.of(0, "succeeded")));

        private final BiConsumer<Handle, RunningAttempt> write;

        Write(BiConsumer<Handle, RunningAttempt> write) {
            this.write = write;
        }
    }

    @ParameterizedTest
    @EnumSource(Write.class)
    void aWriteForASupersededAttemptIsRefusedByItsOwnSqlAndChangesNothing(Write write) {
        String name = "fence-" + write.name().toLowerCase(Locale.ROOT).replace('_', '-');
        Map<String, String> labels = server.ownPool(name);
        var lost = server.registerAgentInPool(name + "-lost", name);
        var next = server.registerAgentInPool(name + "-next", name);
        String taskId = queueApply("ws-" + name, labels).taskId();
        RunningAttempt superseded = locked(taskId, lost, claimOne(lost, taskId));

        // Its agent's lease runs out before it began anything: the task is queued again and claimed anew.
        server.clock().advance(LEASE.plusSeconds(1));
        ping(next);
        server.server().leases().recoverOnce();
        RunningAttempt current = locked(taskId, next, claimOne(next, taskId));
        assertThat(current.attempt()).isEqualTo(superseded.attempt() + 1);

        Snapshot before = snapshot(taskId);
        assertThatThrownBy(() -> jdbi.useTransaction(h -> write.write.accept(h, superseded)))
                .isInstanceOfSatisfying(ApiProblem.class, refused -> {
                    assertThat(refused.status()).isEqualTo(409);
                    assertThat(refused.code()).isEqualTo("stale_attempt");
                });
        assertThat(snapshot(taskId)).as("the refused write changed nothing").isEqualTo(before);

        // The same write for the attempt now running is taken: the snapshot would have seen the refused one.
        jdbi.useTransaction(h -> write.write.accept(h, current));
        assertThat(snapshot(taskId)).isNotEqualTo(before);
    }

    /** What the writes change: the task's row, its stored log, its workspace's state versions. */
    record Snapshot(TaskView task, long logChunks, long stateVersions) {}

    private static Snapshot snapshot(String taskId) {
        TaskView task = tasks.find(taskId).orElseThrow();
        return jdbi.withHandle(h -> new Snapshot(
                task,
                h.createQuery("select count(*) from log_chunks where task_id = :t")
                        .bind("t", taskId)
                        .mapTo(Long.class)
                        .one(),
                h.createQuery("select count(*) from state_versions where workspace_id = :ws")
                        .bind("ws", task.workspaceId())
                        .mapTo(Long.class)
                        .one()));
    }

    /** The attempt as its uploads lock it, kept past the transaction that checked it. */
    private static RunningAttempt locked(String taskId, TestServer.RegisteredAgent agent, TaskAssignment claimed) {
        return tasks.inAttempt(taskId, agent.agentId(), claimed.attempt(), (h, attempt) -> attempt);
    }

    private static TaskView queueApply(String workspace, Map<String, String> labels) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, TaskAction.PLAN_APPLY, tf, null, null, labels, null, null),
                        TaskView.class);
    }

    private static TaskAssignment claimOne(TestServer.RegisteredAgent agent, String taskId) {
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(taskId);
        return pulled.tasks().getFirst();
    }

    private static void ping(TestServer.RegisteredAgent agent) {
        agent.client()
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(agent.agentId(), false, 0, 3, false, List.of(), 0, 0, "test"),
                        PingReply.class);
    }
}
