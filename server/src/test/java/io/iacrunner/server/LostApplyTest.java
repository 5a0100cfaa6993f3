package io.iacrunner.server;

import static io.iacrunner.server.PartitionTest.assertStale;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.auth.SigningKeys;
import io.iacrunner.server.auth.Tokens;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.tasks.LeaseMonitor;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.SteppedClock;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.util.StoreClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An apply's agent that goes silent is waited for, not given up: it delivers its outcome, log and state when it is
 * back, even after its token expired; a person may give it up with a forced unlock. The result is taken only once
 * the store holds every line the agent kept, and the workspace stays locked when an apply may have changed what no
 * state records. Over the real API, on the machine's PostgreSQL, which the test also reaches directly to play a store
 * that lost chunks, a token that expired, and a server that restarted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LostApplyTest {
    private static final Duration PING = Duration.ofSeconds(1);
    private static final Duration LEASE = Duration.ofSeconds(3);

    static ExternalServices.FreshDatabase db;
    static TestServer server;
    static Jdbi jdbi;

    @BeforeAll
    static void start() {
        db = ExternalServices.postgres();
        server = TestServer.start(
                c -> db.configure(c).pingInterval(PING).leases(new ServerConfig.Leases(LEASE, Duration.ofHours(24))));
        jdbi = Jdbi.create(db.url(), db.user(), db.password() == null ? "" : db.password())
                .installPlugin(new PostgresPlugin());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (db != null) db.close();
    }

    @Test
    void anApplyWhoseAgentFallsSilentIsWaitedForAndTakesItsOutcomeLogAndStateWhenTheAgentIsBack() {
        String ws = "ws-back";
        var agent = agentOf(ws, "comes-back");
        TaskAssignment t = claimApplying(agent, ws);
        send(agent, t, 0, 5);

        // Silent past its lease: noted, not given up; the lock says why it is held.
        silentForALease();
        TaskView waiting = task(t.taskId());
        assertThat(waiting.agentUnreachableSince()).isNotNull();
        assertThat(waiting.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(waiting.attempt()).isEqualTo(1);
        assertThat(server.workspace(ws).lock().reason()).contains("unreachable");
        var other = agentOf(ws, "idle-elsewhere");
        TaskView next = queue(ws, TaskAction.PLAN_APPLY);
        assertThat(pull(other, 0).tasks())
                .as("nothing else applies in the workspace meanwhile")
                .isEmpty();

        // Back: what it did while out of reach is all taken.
        send(agent, t, 5, 20);
        StateVersionView stored = agent.job(t)
                .put(
                        ApiPaths.fill(ApiPaths.TASK_STATE, t.taskId()),
                        new StateUpload(t.attempt(), PartitionTest.state(1)),
                        StateVersionView.class);
        ping(agent, t.taskId());
        TaskView back = task(t.taskId());
        assertThat(back.agentUnreachableSince()).isNull();
        assertThat(back.message()).isNull();
        assertThat(server.workspace(ws).lock().reason()).doesNotContain("unreachable");
        TaskView done = result(agent, t, new TaskResult(1, TaskStatus.SUCCEEDED, 0, null, 25, null));
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.logComplete()).isTrue();
        assertThat(done.logLines()).isEqualTo(25);
        assertThat(stored.serial()).isEqualTo(1);
        assertThat(server.workspace(ws).lock())
                .as("released: the apply's outcome and state are known")
                .isNull();
        assertThat(claim(other, next.taskId()).attempt())
                .as("the next apply goes")
                .isEqualTo(1);
    }

    @Test
    void aForcedUnlockGivesUpAnApplyWhoseAgentIsUnreachableButNotOneWhoseAgentStillPings() {
        String ws = "ws-give-up";
        var agent = agentOf(ws, "never-back");
        TaskAssignment t = claimApplying(agent, ws);
        ping(agent, t.taskId());
        assertThatThrownBy(() -> unlock(ws))
                .as("its agent still pings: cancel it instead")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("lock_held_by_running_task"));

        silentForALease();
        assertThat(task(t.taskId()).agentUnreachableSince()).isNotNull();
        WorkspaceView unlocked = unlock(ws);

        assertThat(unlocked.lock()).isNull();
        TaskView given = task(t.taskId());
        assertThat(given.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(given.message()).contains("unlocked with --force");
        assertStale(() -> send(agent, t, 0, 3));
        assertStale(() -> result(agent, t, new TaskResult(1, TaskStatus.SUCCEEDED, 0, null, 0, null)));
    }

    @Test
    void aResultIsTakenOnlyOnceTheStoreHoldsEveryLineTheAgentKept() {
        String ws = "ws-gap";
        var agent = agentOf(ws, "gap");
        TaskAssignment t = claimApplying(agent, ws);
        for (int first = 0; first < 30; first += 10) send(agent, t, first, 10); // three chunks
        // The store loses its last chunks after acknowledging them (restored from an older backup, say).
        int removed =
                jdbi.withHandle(h -> h.createUpdate("delete from log_chunks where task_id = :t and first_seq >= 10")
                        .bind("t", t.taskId())
                        .execute());
        assertThat(removed).isPositive();
        jdbi.useHandle(h -> h.createUpdate("update tasks set log_lines = 10 where task_id = :t")
                .bind("t", t.taskId())
                .execute());

        assertThatThrownBy(() -> result(agent, t, new TaskResult(1, TaskStatus.SUCCEEDED, 0, null, 30, null)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("log_gap");
                    assertThat(e.getMessage()).contains("resend from seq 10");
                });
        assertThat(task(t.taskId()).status()).as("refused: nothing changed").isEqualTo(TaskStatus.RUNNING);

        send(agent, t, 10, 20);
        TaskView done = result(agent, t, new TaskResult(1, TaskStatus.SUCCEEDED, 0, null, 30, null));
        assertThat(done.logComplete()).isTrue();
        assertThat(done.logIncompleteReason()).isNull();
    }

    @Test
    void linesTheAgentCouldNotKeepMakeTheLogIncompleteWithTheirReason() {
        var agent = agentOf("ws-lossy", "lossy");
        TaskView plan = queue("ws-lossy", TaskAction.PLAN);
        TaskAssignment t = claim(agent, plan.taskId());
        send(agent, t, 0, 7);
        TaskView done = result(
                agent,
                t,
                new TaskResult(
                        1,
                        TaskStatus.ERRORED,
                        1,
                        "no space left on device on agent x",
                        7,
                        null,
                        false,
                        3L,
                        "no space left on device for the agent's log spool"));
        assertThat(done.logComplete()).isFalse();
        assertThat(done.logIncompleteReason())
                .contains("could not keep 3 lines")
                .contains("no space left on device");
    }

    @Test
    void theLockStaysWhenAnApplyMayHaveChangedWhatNoStoredStateRecords() {
        // Errored while applying: kept, whatever was stored.
        assertThat(lockAfter(
                        "ws-lock-errored",
                        new TaskResult(1, TaskStatus.ERRORED, null, "no space left on device", 0, null),
                        false))
                .isNotNull()
                .satisfies(l -> assertThat(l.reason()).contains("errored while applying"));
        // Terraform killed (a forced cancel) and no state stored: kept.
        assertThat(lockAfter(
                        "ws-lock-killed",
                        new TaskResult(
                                1,
                                TaskStatus.CANCELED,
                                null,
                                "canceled during terraform apply",
                                0,
                                null,
                                true,
                                0L,
                                null),
                        false))
                .isNotNull()
                .satisfies(l -> assertThat(l.reason()).contains("killed"));
        // Terraform killed, but its state was stored: what it did is recorded.
        assertThat(lockAfter(
                        "ws-lock-killed-state",
                        new TaskResult(1, TaskStatus.CANCELED, null, "canceled", 0, null, true, 0L, null),
                        true))
                .isNull();
        // A graceful cancel (Terraform ended by itself and saved its state) and a failed apply: released.
        assertThat(lockAfter(
                        "ws-lock-graceful", new TaskResult(1, TaskStatus.CANCELED, null, "canceled", 0, null), false))
                .isNull();
        assertThat(lockAfter("ws-lock-failed", new TaskResult(1, TaskStatus.FAILED, 1, "exit 1", 0, null), false))
                .isNull();
    }

    @Test
    void anAgentWhoseTokenExpiredDuringAnOutageComesBackAsItselfThroughRegistration() throws Exception {
        var agent = server.registerAgent("long-outage"); // in default-pool, whose token registers it again
        Tokens past = new Tokens(new SigningKeys(jdbi).load(), Clock.offset(Clock.systemUTC(), Duration.ofHours(-3)));
        String expired = past.issueAgent(agent.agentId(), "default-pool", Duration.ofHours(1))
                .token(); // expired 2 h ago
        assertThatThrownBy(() -> server.withToken(expired)
                        .post(ApiPaths.AGENT_PING, ping(agent.agentId(), List.of()), PingReply.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(401));

        RegisterResponse resumed = register(expired);
        assertThat(resumed.agentId()).as("its own id back").isEqualTo(agent.agentId());
        assertThat(server.withToken(resumed.agentToken())
                        .post(ApiPaths.AGENT_PING, ping(agent.agentId(), List.of()), PingReply.class))
                .isNotNull();

        Tokens ancient =
                new Tokens(new SigningKeys(jdbi).load(), Clock.offset(Clock.systemUTC(), Duration.ofHours(-30)));
        assertThat(register(ancient.issueAgent(agent.agentId(), "default-pool", Duration.ofHours(1))
                                .token())
                        .agentId())
                .as("expired longer ago than the lost-apply window: a new agent")
                .isNotEqualTo(agent.agentId());
        assertThat(register(past.issueAgent(agent.agentId(), "another-pool", Duration.ofHours(1))
                                .token())
                        .agentId())
                .as("of another pool")
                .isNotEqualTo(agent.agentId());
        assertThat(register("not-a-token").agentId()).isNotEqualTo(agent.agentId());
        String forged = expired.substring(0, expired.lastIndexOf('.') + 1) + "AAAA";
        assertThat(register(forged).agentId()).as("a bad signature").isNotEqualTo(agent.agentId());
    }

    @Test
    void silenceWhileNoServerRanDoesNotCountAgainstAnAgent() {
        try (ExternalServices.FreshDatabase own = ExternalServices.postgres()) {
            TestServer before = TestServer.start(c ->
                    own.configure(c).pingInterval(PING).leases(new ServerConfig.Leases(LEASE, Duration.ofHours(24))));
            String taskId;
            String agentId;
            try {
                var agent = before.registerAgent("outlived-the-outage");
                agentId = agent.agentId();
                ObjectNode tf = JsonNodeFactory.instance.objectNode();
                tf.putObject("resource")
                        .putObject("terraform_data")
                        .putObject("x")
                        .put("input", "outage");
                taskId = before.admin()
                        .post(
                                ApiPaths.TASKS,
                                new CreateTaskRequest("ws-outage", TaskAction.PLAN, tf, null, null, null, null, null),
                                TaskView.class)
                        .taskId();
                PullResponse pulled = agent.client()
                        .post(ApiPaths.TASK_PULL, new PullRequest(agentId, 1, false, 0), PullResponse.class);
                assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(taskId);
            } finally {
                before.close(); // every replica down
            }
            Jdbi store = Jdbi.create(own.url(), own.user(), own.password() == null ? "" : own.password())
                    .installPlugin(new PostgresPlugin());
            // The agent's last ping was an hour ago: as after a server that was down for an hour.
            store.useHandle(
                    h -> h.createUpdate("update agents set last_seen = now() - interval '1 hour' where agent_id = :a")
                            .bind("a", agentId)
                            .execute());

            // A replica that starts now gives the agent a whole lease from its start to get through again.
            Signals<String> quiet = new Signals<>();
            SteppedClock clock = new SteppedClock();
            StoreClock time = StoreClock.of(clock);
            LeaseMonitor restarted = new LeaseMonitor(
                    store,
                    new TaskStore(store, 0, null, time),
                    quiet,
                    quiet,
                    LEASE,
                    Duration.ofHours(24),
                    time,
                    new SimpleMeterRegistry(),
                    new StoreAvailability());
            assertThat(restarted.recoverOnce())
                    .as("not judged by silence from before the start")
                    .isZero();
            clock.advance(LEASE.minusMillis(500));
            assertThat(restarted.recoverOnce()).as("not before a whole lease").isZero();
            // Still silent a lease after the start: now it is lost, and its plan goes back to the queue.
            clock.advance(Duration.ofSeconds(1));
            assertThat(restarted.recoverOnce()).isEqualTo(1);
            String status = store.withHandle(h -> h.createQuery("select status from tasks where task_id = :t")
                    .bind("t", taskId)
                    .mapTo(String.class)
                    .one());
            assertThat(status).isEqualTo("queued");
            restarted.close();
        }
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    /** A lease passes on the server's clock without a ping, and the recovery runs. */
    private static void silentForALease() {
        server.clock().advance(LEASE.plusSeconds(1));
        server.server().leases().recoverOnce();
    }

    private static WorkspaceView.Lock lockAfter(String ws, TaskResult result, boolean storeState) {
        var agent = agentOf(ws, "lock-" + ws);
        TaskAssignment t = claimApplying(agent, ws);
        if (storeState) {
            agent.job(t)
                    .put(
                            ApiPaths.fill(ApiPaths.TASK_STATE, t.taskId()),
                            new StateUpload(t.attempt(), PartitionTest.state(1)),
                            StateVersionView.class);
        }
        result(agent, t, result);
        return server.workspace(ws).lock();
    }

    /** A plan_apply of its own workspace, claimed by {@code agent} and in its apply phase. */
    private static TaskAssignment claimApplying(TestServer.RegisteredAgent agent, String ws) {
        TaskView apply = queue(ws, TaskAction.PLAN_APPLY);
        TaskAssignment t = claim(agent, apply.taskId());
        phase(agent, t, TaskPhase.PLANNING);
        phase(agent, t, TaskPhase.APPLYING);
        return t;
    }

    private static TaskAssignment claim(TestServer.RegisteredAgent agent, String taskId) {
        PullResponse pulled = pull(agent, 0);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).contains(taskId);
        return pulled.tasks().stream()
                .filter(a -> a.taskId().equals(taskId))
                .findFirst()
                .orElseThrow();
    }

    private static PullResponse pull(TestServer.RegisteredAgent agent, int waitSeconds) {
        return agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 1, true, waitSeconds),
                        PullResponse.class,
                        Duration.ofSeconds(waitSeconds + 10));
    }

    /**
     * An agent of the workspace's own pool: each test's tasks carry the label only that pool has, so no test's agent
     * takes another test's tasks.
     */
    private static TestServer.RegisteredAgent agentOf(String ws, String name) {
        server.ownPool(ws);
        return server.registerAgentInPool(name, ws);
    }

    private static TaskView queue(String workspace, TaskAction action) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, Map.of("test", workspace), null, null),
                        TaskView.class);
    }

    private static void phase(TestServer.RegisteredAgent agent, TaskAssignment t, TaskPhase phase) {
        agent.job(t)
                .post(ApiPaths.fill(ApiPaths.TASK_PHASE, t.taskId()), new PhaseUpdate(t.attempt(), phase), Void.class);
    }

    private static LogAck send(TestServer.RegisteredAgent agent, TaskAssignment t, long first, int count) {
        List<LogLine> lines = new ArrayList<>();
        for (long s = first; s < first + count; s++)
            lines.add(new LogLine(s, Instant.now(), LogStream.STDOUT, "line " + s));
        return agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                        new LogBatch(t.attempt(), first, lines),
                        LogAck.class);
    }

    private static TaskView result(TestServer.RegisteredAgent agent, TaskAssignment t, TaskResult result) {
        return agent.job(t).post(ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()), result, TaskView.class);
    }

    private static void ping(TestServer.RegisteredAgent agent, String... running) {
        agent.client().post(ApiPaths.AGENT_PING, ping(agent.agentId(), List.of(running)), PingReply.class);
    }

    private static AgentPing ping(String agentId, List<String> running) {
        return new AgentPing(agentId, !running.isEmpty(), 0, 3, !running.isEmpty(), running, 0, 0, "test");
    }

    private static RegisterResponse register(String formerToken) {
        return server.withToken(server.poolToken())
                .post(
                        ApiPaths.AGENT_REGISTER,
                        new RegisterRequest("returning", "test", "localhost", null, formerToken),
                        RegisterResponse.class);
    }

    private static WorkspaceView unlock(String ws) {
        return server.admin()
                .post(ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, ws), new UnlockRequest(true), WorkspaceView.class);
    }

    private static TaskView task(String id) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }
}
