package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Agents cut off from the server while their Terraform keeps running, simulated over the real API: the lease runs
 * out (3 s here), the task is recovered by the rules (an apply is first waited for, for the lost-apply window of 4 s
 * here), and everything the cut-off attempt sends afterwards is refused as stale and changes nothing. Time passes on
 * the server's clock when the test steps it, and the recovery runs when the test says.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PartitionTest {
    private static final Duration PING = Duration.ofSeconds(1);
    private static final Duration LEASE = PING.multipliedBy(3);
    private static final Duration LOST_APPLY_WINDOW = Duration.ofSeconds(4);
    /** Recovery runs about twice per ping interval; the rest is room for a busy machine. */
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(c -> c.pingInterval(PING).leases(new ServerConfig.Leases(LEASE, LOST_APPLY_WINDOW)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void applyCutOffWhileApplyingIsWaitedForThenErroredKeepsTheWorkspaceLockedAndItsLateUploadsChangeNothing()
            throws Exception {
        String ws = "ws-partition";
        var cutOff = server.registerAgent("cut-off");
        var healthy = server.registerAgent("healthy");
        TaskView apply = queue(ws, TaskAction.PLAN_APPLY);
        TaskAssignment t = claimOne(cutOff, apply.taskId());
        phase(cutOff, t, TaskPhase.PLANNING);
        send(cutOff, t, 0, 5);
        phase(cutOff, t, TaskPhase.APPLYING);
        send(cutOff, t, 5, 5);
        ping(cutOff, t.taskId());
        // Almost a lease passes with no ping from it (the healthy agent goes on pinging): nothing happens yet.
        pass(LEASE.minusMillis(500), healthy);
        assertThat(task(apply.taskId()).agentUnreachableSince()).isNull();

        // The network between agent and server broke: past its lease, the apply is waited for, not given up.
        pass(Duration.ofSeconds(1), healthy);
        TaskView waitedFor = task(apply.taskId());
        assertThat(waitedFor.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(waitedFor.agentUnreachableSince())
                .as("noted once the lease had run out")
                .isNotNull();
        assertThat(waitedFor.message()).contains("unreachable").contains("4 s");
        assertThat(server.workspace(ws).lock().reason()).contains("unreachable");
        // Terraform keeps printing out of reach, and what the agent ships meanwhile is still taken.
        long shipped = send(cutOff, t, 10, 2).committedLines();
        assertThat(shipped).isEqualTo(12);

        // Silent for the whole lost-apply window: now it is errored, never run again, the workspace kept locked.
        pass(LOST_APPLY_WINDOW.minusMillis(500), healthy);
        assertThat(task(apply.taskId()).status())
                .as("not before the window is over")
                .isEqualTo(TaskStatus.RUNNING);
        pass(Duration.ofSeconds(1), healthy);
        TaskView errored = task(apply.taskId());
        assertThat(errored.status())
                .as("an apply that may have started is never run again")
                .isEqualTo(TaskStatus.ERRORED);
        assertThat(errored.message()).as("the reason").contains("did not come back within 4 s");
        assertThat(errored.finishedAt()).isNotNull();
        assertThat(errored.agentUnreachableSince()).isNull();
        assertThat(errored.attempt()).isEqualTo(1);
        assertThat(errored.logLines()).isEqualTo(shipped);

        WorkspaceView locked = server.workspace(ws);
        assertThat(locked.lock())
                .as("the workspace stays locked after a lost apply")
                .isNotNull();
        assertThat(locked.lock().taskId()).isEqualTo(apply.taskId());
        assertThat(locked.lock().reason()).isNotBlank();

        // Whatever the cut-off attempt still sends is refused and changes nothing.
        List<String> logBefore = storedLines(apply.taskId());
        assertThat(logBefore)
                .containsExactlyElementsOf(
                        LongStream.range(0, shipped).mapToObj(s -> "line " + s).toList());
        assertStale(() -> send(cutOff, t, shipped, 3));
        assertStale(() -> cutOff.job(t)
                .put(
                        ApiPaths.fill(ApiPaths.TASK_STATE, t.taskId()),
                        new StateUpload(t.attempt(), state(1)),
                        StateVersionView.class));
        assertStale(() -> phase(cutOff, t, TaskPhase.APPLYING));
        assertStale(() -> cutOff.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, shipped, null),
                        TaskView.class));

        TaskView after = task(apply.taskId());
        assertThat(after.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(after.logLines()).isEqualTo(shipped);
        assertThat(after.logComplete()).isEqualTo(errored.logComplete());
        assertThat(after.message()).isEqualTo(errored.message());
        assertThat(after.exitCode()).isEqualTo(errored.exitCode());
        assertThat(after.finishedAt()).isEqualTo(errored.finishedAt());
        assertThat(storedLines(apply.taskId())).isEqualTo(logBefore);
        assertThat(stateVersions(ws)).as("no state was stored").isEmpty();
        assertThatThrownBy(() -> server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, ws)))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThat(server.workspace(ws).lock()).isNotNull();

        // A newer plan_apply of the workspace waits for a person, however idle the healthy agent is.
        TaskView next = queue(ws, TaskAction.PLAN_APPLY);
        PullResponse nothing = healthy.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(healthy.agentId(), 3, true, 0),
                        PullResponse.class,
                        Duration.ofSeconds(30));
        assertThat(nothing.tasks()).isEmpty();
        assertThat(task(next.taskId()).status()).isEqualTo(TaskStatus.QUEUED);

        assertThatThrownBy(() -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, ws),
                                new UnlockRequest(false),
                                WorkspaceView.class))
                .as("unlocking without force")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(server.workspace(ws).lock()).isNotNull();
        // The healthy agent waits in a long poll; the forced unlock lets the newer apply go at once.
        CompletableFuture<PullResponse> waiting = CompletableFuture.supplyAsync(() -> healthy.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(healthy.agentId(), 3, true, 20),
                        PullResponse.class,
                        Duration.ofSeconds(60)));
        server.awaitWaitingPulls(1);
        long unlockedAt = System.nanoTime();
        WorkspaceView unlocked = server.admin()
                .post(ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, ws), new UnlockRequest(true), WorkspaceView.class);
        assertThat(unlocked.lock()).isNull();
        PullResponse woken = waiting.get(30, TimeUnit.SECONDS);
        Duration wokenAfter = Duration.ofNanos(System.nanoTime() - unlockedAt);
        assertThat(woken.tasks()).extracting(TaskAssignment::taskId).containsExactly(next.taskId());
        assertThat(wokenAfter)
                .as("the waiting pull returned right after the unlock")
                .isLessThan(Duration.ofSeconds(3));
        TaskAssignment nextClaim = woken.tasks().getFirst();
        assertThat(nextClaim.attempt()).isEqualTo(1);
        assertThat(server.workspace(ws).lock())
                .as("the running apply holds the lock")
                .isNotNull()
                .extracting(WorkspaceView.Lock::taskId)
                .isEqualTo(next.taskId());
        healthy.job(nextClaim)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, next.taskId()),
                        new TaskResult(nextClaim.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                        TaskView.class);
        assertThat(task(next.taskId()).status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(server.workspace(ws).lock()).isNull();
        assertThat(task(apply.taskId()).status())
                .as("the lost apply stays errored")
                .isEqualTo(TaskStatus.ERRORED);
    }

    @Test
    void planOfASilentAgentGoesToAnotherAgentAndErrorsAfterThreeLostAttempts() throws Exception {
        TaskView plan = queue("ws-requeue", TaskAction.PLAN);
        List<TestServer.RegisteredAgent> lost = new ArrayList<>();
        List<TaskAssignment> attempts = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            // Registered just now, so its lease starts now; it never pings.
            var agent = server.registerAgent("silent-" + attempt);
            TaskAssignment t = claimOne(agent, plan.taskId());
            assertThat(t.attempt()).isEqualTo(attempt);
            TaskView running = task(plan.taskId());
            assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
            assertThat(running.agentId()).isEqualTo(agent.agentId());
            assertThat(running.attempt()).isEqualTo(attempt);
            assertThat(running.logLines()).as("a new attempt starts a new log").isZero();
            phase(agent, t, TaskPhase.PLANNING);
            send(agent, t, 0, 3 + attempt);

            if (attempt > 1) {
                // The previous attempt comes back to life: everything it sends is refused, the current one untouched.
                var stale = lost.getLast();
                TaskAssignment staleAttempt = attempts.getLast();
                assertStale(() -> send(stale, staleAttempt, 0, 10));
                assertStale(() -> phase(stale, staleAttempt, TaskPhase.PLANNING));
                assertStale(() -> stale.job(staleAttempt)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_RESULT, plan.taskId()),
                                new TaskResult(staleAttempt.attempt(), TaskStatus.SUCCEEDED, 0, null, 10, null),
                                TaskView.class));
                TaskView still = task(plan.taskId());
                assertThat(still.status()).isEqualTo(TaskStatus.RUNNING);
                assertThat(still.attempt()).isEqualTo(attempt);
                assertThat(still.agentId()).isEqualTo(agent.agentId());
                assertThat(still.logLines()).isEqualTo(3 + attempt);
                assertThat(storedLines(plan.taskId())).hasSize(3 + attempt);
            }
            lost.add(agent);
            attempts.add(t);

            pass(LEASE.plusSeconds(1));
            TaskView recovered = task(plan.taskId());
            assertThat(recovered.message())
                    .as("why attempt " + attempt + " ended")
                    .isNotBlank();
            if (attempt < 3) {
                assertThat(recovered.status()).as("a lost plan is queued again").isEqualTo(TaskStatus.QUEUED);
            } else {
                assertThat(recovered.status())
                        .as("the third lost attempt is the last")
                        .isEqualTo(TaskStatus.ERRORED);
                assertThat(recovered.attempt()).isEqualTo(3);
            }
        }
        var fourth = server.registerAgent("fourth");
        PullResponse nothing = fourth.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(fourth.agentId(), 3, true, 0), PullResponse.class);
        assertThat(nothing.tasks())
                .as("an errored task is not handed out again")
                .isEmpty();
        assertStale(() -> send(lost.getLast(), attempts.getLast(), 0, 10));
        assertThat(task(plan.taskId()).status()).isEqualTo(TaskStatus.ERRORED);
    }

    @Test
    void aLongPollLeftWaitingByAnAgentSilentPastItsLeaseClaimsNothing() throws Exception {
        // A pool and task label of its own keep what this test leaves running away from the other tests' agents.
        Map<String, String> labels = server.ownPool("dead-poll");
        // An agent killed in the middle of a long poll: the server still holds its pull, nobody will read the reply.
        var dead = server.registerAgentInPool("dead-while-polling", "dead-poll");
        CompletableFuture<PullResponse> abandoned = CompletableFuture.supplyAsync(() -> dead.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(dead.agentId(), 3, true, 20),
                        PullResponse.class,
                        Duration.ofSeconds(60)));
        server.clock().advance(LEASE.plus(PING)); // its lease runs out while the pull waits

        TaskView plan = queue("ws-dead-poll", TaskAction.PLAN, labels);
        // The queued task wakes the waiting pull at once; for half a second (real time: the woken pull must have had
        // its turn) the task stays queued.
        await().during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(2))
                .until(() -> task(plan.taskId()).status() == TaskStatus.QUEUED);
        if (abandoned.isDone()) {
            assertThat(abandoned.get().tasks())
                    .as("tasks claimed for an agent silent past its lease")
                    .isEmpty();
        }
        assertThat(task(plan.taskId()).attempt())
                .as("not handed to the silent agent")
                .isZero();
        var live = server.registerAgentInPool("alive", "dead-poll");
        assertThat(claimOne(live, plan.taskId()).attempt()).isEqualTo(1);
    }

    @Test
    void aClaimWhoseReplyNeverReachedTheAgentIsQueuedAgainOnceItsHeartbeatsOmitIt() throws Exception {
        Map<String, String> labels = server.ownPool("lost-reply");
        var agent = server.registerAgentInPool("lost-reply", "lost-reply");
        TaskView plan = queue("ws-lost-reply", TaskAction.PLAN, labels);
        // The server claims the task for the agent, but the reply is lost on the way: the agent keeps pinging, alive
        // and well, without the task, so the lease alone would never recover it.
        TaskAssignment lostClaim = claimOne(agent, plan.taskId());
        ping(agent);
        assertThat(task(plan.taskId()).status())
                .as("not before the lease: the reply may be under way")
                .isEqualTo(TaskStatus.RUNNING);
        // A lease passes in two halves with a ping between, as a live agent pings: the agent's own lease never runs
        // out, so the lease monitor (which runs in the background) cannot take it for lost before the ping below.
        server.clock().advance(LEASE.dividedBy(2).plusSeconds(1));
        ping(agent);
        assertThat(task(plan.taskId()).status())
                .as("half a lease after the claim")
                .isEqualTo(TaskStatus.RUNNING);
        server.clock().advance(LEASE.dividedBy(2).plusSeconds(1));
        ping(agent); // still without the task, a lease after the claim

        TaskView requeued = task(plan.taskId());
        assertThat(requeued.status()).as("nothing ran: queued again").isEqualTo(TaskStatus.QUEUED);
        assertThat(requeued.message()).contains("heartbeat does not list it");
        assertStale(() -> send(agent, lostClaim, 0, 1));
        assertThat(claimOne(agent, plan.taskId()).attempt())
                .as("the next pull gets it, as a new attempt")
                .isEqualTo(2);
    }

    // --- a simulated agent's calls -------------------------------------------------------------------------------

    static TaskView queue(String workspace, TaskAction action) {
        return queue(workspace, action, null);
    }

    static TaskView queue(String workspace, TaskAction action, Map<String, String> labels) {
        return server.queue(workspace, action, labels);
    }

    static TaskAssignment claimOne(TestServer.RegisteredAgent agent, String taskId) {
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(taskId);
        return pulled.tasks().getFirst();
    }

    /** A heartbeat listing {@code running} as the tasks the agent runs. */
    static void ping(TestServer.RegisteredAgent agent, String... running) {
        agent.client()
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(
                                agent.agentId(),
                                running.length > 0,
                                0,
                                3,
                                running.length > 0,
                                List.of(running),
                                0,
                                0,
                                "test"),
                        PingReply.class);
    }

    /**
     * {@code time} passes on the server's clock at once, while {@code alive} keep pinging (they ping right after the
     * step), and the lease recovery runs.
     */
    static void pass(Duration time, TestServer.RegisteredAgent... alive) {
        server.clock().advance(time);
        for (TestServer.RegisteredAgent agent : alive) ping(agent);
        server.server().leases().recoverOnce();
    }

    static Void phase(TestServer.RegisteredAgent agent, TaskAssignment t, TaskPhase phase) {
        return agent.job(t)
                .post(ApiPaths.fill(ApiPaths.TASK_PHASE, t.taskId()), new PhaseUpdate(t.attempt(), phase), Void.class);
    }

    static LogAck send(TestServer.RegisteredAgent agent, TaskAssignment t, long first, int count) {
        List<LogLine> lines = new ArrayList<>();
        for (long s = first; s < first + count; s++)
            lines.add(new LogLine(s, Instant.now(), LogStream.STDOUT, "line " + s));
        return agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                        new LogBatch(t.attempt(), first, lines),
                        LogAck.class);
    }

    static ObjectNode state(long serial) {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        state.put("version", 4)
                .put("terraform_version", "1.11.4")
                .put("serial", serial)
                .put("lineage", UUID.randomUUID().toString());
        state.putObject("outputs");
        state.putArray("resources");
        return state;
    }

    static void assertStale(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).as(e.toString()).isEqualTo(409);
            assertThat(e.code()).as(e.toString()).isEqualTo("stale_attempt");
        });
    }

    static TaskView task(String taskId) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class);
    }

    static List<String> storedLines(String taskId) {
        LogPage page = server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + "?limit=10000", LogPage.class);
        return page.lines().stream().map(LogLine::line).toList();
    }

    static List<JsonNode> stateVersions(String ws) throws Exception {
        JsonNode versions = WireJson.lenient()
                .readTree(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, ws)))
                .path("versions");
        List<JsonNode> out = new ArrayList<>();
        versions.forEach(out::add);
        return out;
    }
}
