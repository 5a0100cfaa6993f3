package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.load.CgroupLoadProbe;
import io.iacrunner.agent.load.Load;
import io.iacrunner.agent.testing.FakeLogStore;
import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.testing.FakeServer.Request;
import io.iacrunner.agent.testing.Fixtures;
import io.iacrunner.agent.testing.ManualClock;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The whole agent against a fake server: registration, ping, long-poll pull, tasks on real Terraform, shutdown. The
 * agent's clock is stepped by the tests: a ping, a back-off, a lease or a drain timeout passes when a test says so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentTest {
    private static final PoolConfig POOL = new PoolConfig("default", 2, false, Map.of("region", "idc1"));
    /** Plans may run beside an apply: the agent goes on pulling while an apply runs. */
    private static final PoolConfig CONCURRENT_POOL = new PoolConfig("concurrent", 2, true, Map.of());

    private static final int LEASE_SECONDS = 10;
    /** What registration grants ({@link Fixtures#acceptRegistrations}, below): the agent pings once a second. */
    private static final Duration PING_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private FakeServer server;
    private FakeLogStore logs;
    private AtomicInteger registrations;
    private final BlockingQueue<PullResponse> pullReplies = new LinkedBlockingQueue<>();
    private volatile Function<Request, Reply> pingReply =
            r -> Reply.ok(new PingReply(POOL, List.of(), null, null, LEASE_SECONDS));
    /** The server holds every result it is sent until this opens: a slow server. */
    private volatile CountDownLatch resultsLetThrough = new CountDownLatch(0);

    private volatile FakeServer.Handler deregisterReply = r -> new Reply(204, null);
    private Duration cancelGrace = Duration.ofSeconds(3);
    private Duration drainTimeout = Duration.ZERO;
    private Path terraform = Fixtures.TERRAFORM;
    private final ManualClock clock = new ManualClock();
    private Agent agent;

    @BeforeEach
    void setUp() throws IOException {
        server = new FakeServer();
        registrations = Fixtures.acceptRegistrations(server, POOL, (int) PING_INTERVAL.toSeconds(), LEASE_SECONDS);
        logs = new FakeLogStore();
        server.on("POST", ApiPaths.AGENT_PING, r -> pingReply.apply(r));
        server.on("POST", ApiPaths.TASK_PULL, r -> {
            // A long poll: answers as soon as work is queued, or empty when the wait is over.
            PullResponse reply = pullReplies.poll(r.as(PullRequest.class).waitSeconds(), TimeUnit.SECONDS);
            return Reply.ok(reply == null ? new PullResponse(List.of(), List.of()) : reply);
        });
        server.on("POST", ApiPaths.AGENT_DEREGISTER, r -> deregisterReply.handle(r));
        server.on("POST", ApiPaths.TASK_PHASE, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_PLAN, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_LOGS, logs);
        server.on("PUT", ApiPaths.TASK_STATE, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_RESULT, r -> {
            resultsLetThrough.await(30, TimeUnit.SECONDS);
            return Reply.ok(null);
        });
    }

    @AfterEach
    void tearDown() {
        if (agent != null) {
            CompletableFuture<Void> closing = CompletableFuture.runAsync(agent::close);
            stepUntil(closing::isDone); // whatever the agent still waits out on its clock (a grace, a back-off) passes
        }
        server.close();
        ((Logger) LoggerFactory.getLogger(Agent.class)).detachAppender("capture-Agent");
    }

    /** What a test sets beyond the settings below. */
    private UnaryOperator<AgentConfig.Builder> adjust = config -> config;

    /**
     * Logs go over HTTP: the fake server has no log WebSocket, and the JDK's HttpServer may leave the upgrade
     * unanswered until the client's 30 s timeout (observed when no long poll is in flight). LogShipperTest covers the
     * fallback from the WebSocket to HTTP, the end-to-end tests the real server's WebSocket.
     */
    private Agent agent(URI serverUrl, Path tokenFile, int localPlanLimit) {
        agent = new Agent(
                adjust.apply(AgentConfig.builder(serverUrl, tokenFile)
                                .logWebSocket(false)
                                .name("test-agent")
                                .workDir(dir.resolve("work"))
                                .terraform(terraform)
                                .localPlanLimit(localPlanLimit)
                                .adaptive(false) // the machine's load must not change what a test claims
                                .pullWait(Duration.ofSeconds(1))
                                .cancelGrace(cancelGrace)
                                .drainTimeout(drainTimeout))
                        .build(),
                clock);
        return agent;
    }

    private Agent startedAgent(int localPlanLimit) throws IOException {
        Agent a = agent(server.uri(), Fixtures.poolTokenFile(dir), localPlanLimit);
        a.start();
        return a;
    }

    private static TaskAssignment task(String id, TaskAction action, String command) throws IOException {
        String tf = """
                {"resource":{"terraform_data":{"x":{"provisioner":{"local-exec":{"command":"%s"}}}}}}""".formatted(command);
        return new TaskAssignment(
                id,
                1,
                "ws-" + id,
                action,
                null,
                (ObjectNode) FakeServer.JSON.readTree(tf),
                null,
                null,
                null,
                0,
                null,
                "job-" + id,
                java.time.Instant.now().plus(Duration.ofHours(1)));
    }

    private void assign(TaskAssignment... tasks) {
        pullReplies.add(new PullResponse(List.of(tasks), List.of()));
    }

    /** The server's settings for every later registration and ping reply. */
    private void usePool(PoolConfig pool, int leaseSeconds) {
        Fixtures.acceptRegistrations(server, pool, 1, leaseSeconds);
        pingReply = r -> Reply.ok(new PingReply(pool, List.of(), null, null, leaseSeconds));
    }

    /**
     * Moves the agent's clock on, a ping interval at a time, until {@code done}: what pings, retries and timers bring
     * about happens as the clock passes their time.
     */
    private void stepUntil(Callable<Boolean> done) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (done.call()) return true;
            clock.advance(PING_INTERVAL);
            return false;
        });
    }

    /** Steps the clock until the agent pings again: that ping, and what its reply says, come after what came before. */
    private void nextPing() {
        int before = pings().size();
        stepUntil(() -> pings().size() > before);
    }

    /** close() has returned: nothing of the agent is left waiting on its clock, and time passing brings no ping. */
    private void assertNoPingAfterClose() {
        int pingsAtClose = pings().size();
        assertThat(clock.waiting())
                .as("threads of the closed agent still waiting on its clock")
                .isZero();
        clock.advance(Duration.ofMinutes(1));
        assertThat(pings()).as("no ping after close() returned").hasSize(pingsAtClose);
    }

    private List<Request> resultsOf(String taskId) {
        return server.requests("POST", ApiPaths.TASK_RESULT).stream()
                .filter(r -> r.path().contains("/" + taskId + "/"))
                .toList();
    }

    private TaskResult awaitResult(String taskId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !resultsOf(taskId).isEmpty());
        assertThat(resultsOf(taskId)).hasSize(1);
        return resultsOf(taskId).getFirst().as(TaskResult.class);
    }

    private List<AgentPing> pings() {
        return server.requests("POST", ApiPaths.AGENT_PING).stream()
                .map(r -> r.as(AgentPing.class))
                .toList();
    }

    private ListAppender<ILoggingEvent> capture(Class<?> type) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setName("capture-" + type.getSimpleName());
        appender.start();
        ((Logger) LoggerFactory.getLogger(type)).addAppender(appender);
        return appender;
    }

    private static long processesWith(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(marker))
                .count();
    }

    @Test
    void registersWithThePoolTokenThenPullsRunsAndReportsAPlan() throws Exception {
        assign(task("t-plan", TaskAction.PLAN, "echo hi"));

        Agent a = startedAgent(0);

        assertThat(a.agentId()).isEqualTo("agent-1");
        assertThat(server.requests("POST", ApiPaths.AGENT_REGISTER))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.bearer()).isEqualTo(Fixtures.POOL_TOKEN);
                    assertThat(r.body().path("name").asText()).isEqualTo("test-agent");
                });
        TaskResult result = awaitResult("t-plan");
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.logLines()).isEqualTo(logs.stored("t-plan").size()).isPositive();
        assertThat(server.requests("POST", ApiPaths.TASK_PULL).getFirst().as(PullRequest.class))
                .isEqualTo(new PullRequest("agent-1", 2, true, 1));
        nextPing();
        assertThat(pings().getFirst()).satisfies(p -> {
            assertThat(p.agentId()).isEqualTo("agent-1");
            assertThat(p.planTaskLimit()).isEqualTo(2);
            assertThat(p.version()).isNotBlank();
        });
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .allSatisfy(r -> assertThat(r.bearer()).isEqualTo("agent-token-1"));

        a.close();
        assertThat(CompletableFuture.runAsync(() -> {
                    try {
                        a.awaitTermination();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }))
                .succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void adaptiveSlotsFollowAScriptedLoadNeverBelowOneNorAboveMaxPlansOrThePoolsLimit() throws Exception {
        Load calm = new Load(0.30, 0.05, 6L << 30, 8L << 30);
        Load pressure = new Load(1.0, 0.90, 6L << 30, 8L << 30);
        AtomicReference<Load> load = new AtomicReference<>(calm); // a test double for the CPU and memory readings
        String marker = "300." + System.nanoTime() % 1_000_000;
        terraform = Fixtures.terraformWithSlowPlans(dir, marker);
        usePool(new PoolConfig("default", 4, false, Map.of()), LEASE_SECONDS);
        adjust = config -> config.adaptive(true).loadProbe(load::get);
        for (int i = 0; i < 5; i++) assign(task("t-" + i, TaskAction.PLAN, "unused"));
        startedAgent(3); // --max-plans 3, below the pool's 4

        // Calm: from 1, one more slot per reading while every slot is used, up to --max-plans.
        stepUntil(() -> processesWith(marker) == 3);
        for (int i = 0; i < 10; i++) nextPing();
        assertThat(processesWith(marker)).as("never above --max-plans").isEqualTo(3);
        assertThat(pings().getLast().planSlots()).isEqualTo(3);
        assertThat(pings().getLast().planTaskLimit()).isEqualTo(3);

        load.set(pressure);
        stepUntil(() -> pings().getLast().planSlots() == 2);
        assertThat(pings().getLast().slotsReason()).isEqualTo("cpu waiting 90 %");
        for (int i = 0; i < 6; i++) nextPing();
        assertThat(pings().getLast().planSlots())
                .as("no second cut while the plans started before the first still run")
                .isEqualTo(2);
        assertThat(processesWith(marker))
                .as("running plans are never stopped to adapt")
                .isEqualTo(3);

        pingReply = r -> Reply.ok(new PingReply(
                POOL,
                List.of(new CancelOrder("t-0", true), new CancelOrder("t-1", true), new CancelOrder("t-2", true)),
                null,
                null,
                LEASE_SECONDS));
        stepUntil(() -> !resultsOf("t-0").isEmpty()
                && !resultsOf("t-1").isEmpty()
                && !resultsOf("t-2").isEmpty());
        usePool(new PoolConfig("default", 4, false, Map.of()), LEASE_SECONDS);
        stepUntil(() -> pings().getLast().planSlots() == 1);
        for (int i = 0; i < 6; i++) nextPing();
        assertThat(pings().getLast().planSlots()).as("never below 1").isEqualTo(1);
        stepUntil(() -> processesWith(marker) >= 1); // the freed slot took the next plan

        load.set(calm);
        stepUntil(() -> pings().getLast().planSlots() == 3);
        assertThat(processesWith(marker))
                .as("the slots came back and took the last plan")
                .isEqualTo(2);
        assertThat(pings()).allSatisfy(p -> assertThat(p.planSlots()).isBetween(1, 3));
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .allSatisfy(
                        r -> assertThat(r.as(PullRequest.class).freePlanSlots()).isBetween(0, 3));
    }

    @Test
    void anAgentWhoseCgroupHasLittleMemoryLeftClaimsOnePlanAtATimeAndEveryPlanSucceeds() throws Exception {
        Path cgroup = Files.createDirectories(dir.resolve("cgroup")); // a test double for the cgroup v2 files
        Files.writeString(cgroup.resolve("memory.max"), (1L << 30) + "\n");
        Files.writeString(cgroup.resolve("memory.current"), (900L << 20) + "\n");
        Files.writeString(cgroup.resolve("memory.stat"), "inactive_file 0\n");
        usePool(new PoolConfig("default", 4, false, Map.of()), LEASE_SECONDS);
        adjust = config -> config.adaptive(true).loadProbe(new CgroupLoadProbe(cgroup, Path.of("/proc"), clock, 2));
        for (int i = 0; i < 4; i++) assign(task("m-" + i, TaskAction.PLAN, "echo " + i));
        startedAgent(0);

        for (int i = 0; i < 4; i++) {
            String id = "m-" + i;
            stepUntil(() -> !resultsOf(id).isEmpty());
            assertThat(awaitResult(id).status()).isEqualTo(TaskStatus.SUCCEEDED);
        }
        nextPing();

        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .as("fewer plans than its fixed limit of 4")
                .allSatisfy(
                        r -> assertThat(r.as(PullRequest.class).freePlanSlots()).isLessThanOrEqualTo(1));
        assertThat(pings().getLast()).satisfies(p -> {
            assertThat(p.planTaskLimit()).isEqualTo(4);
            assertThat(p.planSlots()).isEqualTo(1);
            assertThat(p.slotsReason()).isEqualTo("memory available 0.1 GiB");
            assertThat(p.memUsage()).isBetween(0.87, 0.88);
        });
    }

    @Test
    void aSingleRunAgentAsksForOneTaskRunsItReportsItDeregistersAndStops() throws Exception {
        adjust = config -> config.single(true).minFreeDisk(0);
        assign(task("t-only", TaskAction.PLAN, "echo once"));
        assign(task("t-never", TaskAction.PLAN, "echo twice"));

        Agent a = startedAgent(0);

        assertThat(CompletableFuture.runAsync(() -> {
                    try {
                        a.awaitTermination();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }))
                .as("the agent stops by itself")
                .succeedsWithin(Duration.ofSeconds(30));
        assertThat(awaitResult("t-only").status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .as("one pull, for one task")
                .singleElement()
                .satisfies(r -> assertThat(r.as(PullRequest.class)).isEqualTo(new PullRequest("agent-1", 1, true, 1)));
        assertThat(pullReplies).as("the second task was never asked for").hasSize(1);
        assertThat(server.requests("POST", ApiPaths.AGENT_DEREGISTER)).hasSize(1);
    }

    @Test
    void anAgentThatAcceptsPlansOnlyAsksForPlansAndHandsBackAnApplyItIsGivenAnyway() throws Exception {
        server.on("POST", ApiPaths.TASK_HAND_BACK, r -> Reply.ok(null));
        adjust = config -> config.accept(java.util.EnumSet.of(TaskAction.PLAN)).minFreeDisk(0);
        assign(task("t-unwanted", TaskAction.PLAN_APPLY, "echo no"), task("t-wanted", TaskAction.PLAN, "echo yes"));

        startedAgent(0);

        assertThat(awaitResult("t-wanted").status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(server.requests("POST", ApiPaths.TASK_PULL).getFirst().as(PullRequest.class))
                .isEqualTo(new PullRequest("agent-1", 2, false, 1, List.of(TaskAction.PLAN)));
        assertThat(server.requests("POST", ApiPaths.TASK_HAND_BACK))
                .singleElement()
                .satisfies(r -> assertThat(r.as(HandBack.class).reason())
                        .contains("does not take plan_apply tasks (--accept)"));
        assertThat(resultsOf("t-unwanted")).isEmpty();
    }

    @Test
    void pullsNothingWhileAnApplyRunsAndCancelsItWhenAPingReplySays() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        assign(task("t-apply", TaskAction.PLAN_APPLY, "sleep " + marker));
        startedAgent(0);

        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);
        stepUntil(() -> pings().stream().anyMatch(AgentPing::applyTaskRunning));
        assertThat(pings().getLast()).satisfies(p -> {
            assertThat(p.busy()).isTrue();
            assertThat(p.currentTasks()).containsExactly("t-apply");
            assertThat(p.planTasksRunning()).isZero();
        });
        int pullsWhileApplying = server.requests("POST", ApiPaths.TASK_PULL).size();
        // Every answered ping makes the pull loop look at its capacity again (the pool may have changed).
        nextPing();
        nextPing();
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .as("no pull while the apply runs alone")
                .hasSize(pullsWhileApplying);

        pingReply = r ->
                Reply.ok(new PingReply(POOL, List.of(new CancelOrder("t-apply", false)), null, null, LEASE_SECONDS));
        stepUntil(() -> !resultsOf("t-apply").isEmpty()); // the next ping brings the order; the cancel's grace may pass
        TaskResult result = awaitResult("t-apply");

        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).endsWith("the server asked for it");
        assertThat(processesWith(marker)).isZero();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> server.requests("POST", ApiPaths.TASK_PULL).size() > pullsWhileApplying);
        PullRequest next = server.requests("POST", ApiPaths.TASK_PULL).getLast().as(PullRequest.class);
        assertThat(next.freePlanSlots()).isEqualTo(2);
        assertThat(next.canTakeApply()).isTrue();
    }

    @Test
    void registersAgainWhenAPingSaysTheServerForgotTheAgent() throws Exception {
        pingReply = r -> "agent-token-1".equals(r.bearer())
                ? Reply.error(404, "unknown_agent", "no such agent")
                : Reply.ok(new PingReply(POOL, List.of(), null, null, LEASE_SECONDS));
        Agent a = startedAgent(0);

        stepUntil(() -> registrations.get() == 2);
        stepUntil(() -> pings().stream().anyMatch(p -> "agent-2".equals(p.agentId())));

        assertThat(a.agentId()).isEqualTo("agent-2");
        assertThat(server.requests("POST", ApiPaths.AGENT_PING).getLast().bearer())
                .isEqualTo("agent-token-2");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> server.requests("POST", ApiPaths.TASK_PULL)
                        .getLast()
                        .bearer()
                        .equals("agent-token-2"));
        assertThat(registrations).hasValue(2);
    }

    @Test
    void adoptsARenewedTokenAndALowerPlanLimitFromAPingReply() throws Exception {
        PoolConfig smaller = new PoolConfig("default", 1, false, Map.of());
        pingReply = r -> Reply.ok(new PingReply(
                smaller, List.of(), "agent-token-renewed", Instant.now().plusSeconds(600), LEASE_SECONDS));
        startedAgent(0);

        stepUntil(() -> server.requests("POST", ApiPaths.TASK_PULL).stream()
                .anyMatch(r -> "agent-token-renewed".equals(r.bearer())
                        && r.as(PullRequest.class).freePlanSlots() == 1));
        assertThat(registrations).hasValue(1);
    }

    @Test
    void handsTasksBeyondItsCapacityBackToTheQueueInsteadOfRunningOrFailingThem() throws Exception {
        server.on("POST", ApiPaths.TASK_HAND_BACK, r -> Reply.ok(null));
        assign(task("t-first", TaskAction.PLAN, "echo one"), task("t-extra", TaskAction.PLAN, "echo two"));
        startedAgent(1);

        TaskResult first = awaitResult("t-first");

        assertThat(server.requests("POST", ApiPaths.TASK_PULL)
                        .getFirst()
                        .as(PullRequest.class)
                        .freePlanSlots())
                .isEqualTo(1);
        List<Request> handedBack = server.requests("POST", ApiPaths.TASK_HAND_BACK);
        assertThat(handedBack).singleElement().satisfies(r -> {
            assertThat(r.path()).contains("t-extra");
            assertThat(r.bearer()).as("with the attempt's job token").isEqualTo("job-t-extra");
            HandBack body = r.as(HandBack.class);
            assertThat(body.attempt()).isEqualTo(1);
            assertThat(body.reason()).contains("more work than the agent asked for");
        });
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT))
                .noneMatch(r -> r.path().contains("t-extra"));
        assertThat(server.requests("POST", ApiPaths.TASK_PHASE))
                .noneMatch(r -> r.path().contains("t-extra"));
        assertThat(first.status()).isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void shutdownCancelsRunningTasksAndKeepsPingingUntilTheyHaveReported() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        assign(task("t-long", TaskAction.PLAN_APPLY, "sleep " + marker));
        drainTimeout = Duration.ZERO; // cancel at once
        resultsLetThrough = new CountDownLatch(1); // a slow server: the task has not reported until it is let through
        Agent a = startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(a::close);
        stepUntil(() -> !resultsOf("t-long").isEmpty()); // the cancel's grace may pass

        TaskResult result = awaitResult("t-long");
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).endsWith("the agent is shutting down");
        assertThat(processesWith(marker)).isZero();
        Instant resultSent = resultsOf("t-long").getFirst().at();
        nextPing();
        assertThat(server.requests("POST", ApiPaths.AGENT_PING).getLast().at())
                .as("pings go on while the result is under way")
                .isAfter(resultSent);
        assertThat(closing).as("close() waits for the result").isNotDone();
        resultsLetThrough.countDown();
        assertThat(closing).succeedsWithin(Duration.ofSeconds(10));
        Instant closed = Instant.now();
        assertNoPingAfterClose();
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .allSatisfy(r -> assertThat(r.at()).isBefore(closed));
    }

    @Test
    void aCancelOrderInAPullResponseStopsItsTaskAndOrdersForOtherTasksAreIgnored() throws Exception {
        usePool(CONCURRENT_POOL, LEASE_SECONDS); // the agent keeps pulling while the apply runs
        String marker = "300." + System.nanoTime() % 1_000_000;
        assign(task("t-pulled", TaskAction.PLAN_APPLY, "sleep " + marker));
        startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        pullReplies.add(new PullResponse(
                List.of(), List.of(new CancelOrder("t-not-here", true), new CancelOrder("t-pulled", false))));
        stepUntil(() -> !resultsOf("t-pulled").isEmpty()); // the cancel's grace may pass
        TaskResult result = awaitResult("t-pulled");

        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).isEqualTo("canceled during terraform apply: the server asked for it");
        assertThat(processesWith(marker)).isZero();
        // The same order again, through the other channel and then this one: the task is done, nothing happens.
        pingReply = r -> Reply.ok(
                new PingReply(CONCURRENT_POOL, List.of(new CancelOrder("t-pulled", true)), null, null, LEASE_SECONDS));
        pullReplies.add(new PullResponse(List.of(), List.of(new CancelOrder("t-pulled", true))));
        await().atMost(Duration.ofSeconds(5)).until(pullReplies::isEmpty);
        int pulls = server.requests("POST", ApiPaths.TASK_PULL).size();
        // Each loop handles a reply's orders before it asks again.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> server.requests("POST", ApiPaths.TASK_PULL).size() > pulls);
        nextPing();
        nextPing();
        assertThat(resultsOf("t-pulled")).hasSize(1);
    }

    @Test
    void aForcedCancelKillsTheTaskWithoutWaitingTheGracePeriod() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        terraform = Fixtures.terraformIgnoringInterrupt(dir, marker); // SIGINT alone would not stop it
        cancelGrace = Duration.ofSeconds(30);
        assign(task("t-force", TaskAction.PLAN_APPLY, "unused"));
        startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        long orderedAt = System.nanoTime();
        pingReply = r ->
                Reply.ok(new PingReply(POOL, List.of(new CancelOrder("t-force", true)), null, null, LEASE_SECONDS));
        nextPing();
        TaskResult result =
                awaitResult("t-force"); // the clock stands still: a graceful stop would wait out its grace forever
        Duration elapsed = Duration.ofNanos(System.nanoTime() - orderedAt);

        assertThat(elapsed).isLessThan(cancelGrace.dividedBy(3));
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).isEqualTo("canceled during terraform apply: the server asked for it");
        assertThat(result.logLines()).isEqualTo(logs.stored("t-force").size());
        assertThat(processesWith(marker)).isZero();
    }

    @Test
    void aLostLeaseStopsNothingRunningButNoNewWorkIsPulledUntilAPingGetsThrough() throws Exception {
        int lease = 2;
        usePool(POOL, lease);
        ListAppender<ILoggingEvent> agentLog = capture(Agent.class);
        String marker = "5." + System.nanoTime() % 1_000_000;
        assign(task("t-leased", TaskAction.PLAN_APPLY, "sleep " + marker + "; echo finished-after-the-outage"));
        startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        pingReply = r -> Reply.error(503, "unavailable", "the server is cut off");
        stepUntil(() -> agentLog.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR));
        assertThat(processesWith(marker))
                .as("terraform goes on after the lease is lost")
                .isPositive();
        int pullsWhileLost = server.requests("POST", ApiPaths.TASK_PULL).size();
        assertThat(agentLog.list)
                .filteredOn(e -> e.getLevel() == Level.ERROR)
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getFormattedMessage()).contains("lease").contains("1 running task(s) go on"));

        TaskResult result = awaitResult("t-leased");
        assertThat(result.status()).as("the apply ran to its end").isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(logs.plainText("t-leased")).anyMatch(l -> l.contains("finished-after-the-outage"));
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .as("no new work without the lease")
                .hasSize(pullsWhileLost);

        pingReply = r -> Reply.ok(new PingReply(POOL, List.of(), null, null, lease));
        stepUntil(() -> server.requests("POST", ApiPaths.TASK_PULL).size() > pullsWhileLost);
        assertThat(agentLog.list).filteredOn(e -> e.getLevel() == Level.ERROR).hasSize(1);
    }

    @Test
    void shutdownLetsARunningTaskFinishThenDeregistersAndOnlyThenStopsPinging() throws Exception {
        String marker = "2." + System.nanoTime() % 1_000_000;
        drainTimeout = Duration.ofSeconds(60);
        CountDownLatch deregistered = new CountDownLatch(1); // a slow server: pings must go on meanwhile
        deregisterReply = r -> {
            deregistered.await(30, TimeUnit.SECONDS);
            return new Reply(204, null);
        };
        assign(task("t-short", TaskAction.PLAN_APPLY, "sleep " + marker + "; echo drained"));
        Agent a = startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        Instant closing = Instant.now();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(a::close);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !server.requests("POST", ApiPaths.AGENT_DEREGISTER).isEmpty());
        nextPing();
        assertThat(closed).as("close() waits for the deregistration").isNotDone();
        deregistered.countDown();
        assertThat(closed).succeedsWithin(Duration.ofSeconds(10));

        TaskResult result = awaitResult("t-short");
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(logs.plainText("t-short")).anySatisfy(l -> assertThat(l).contains("drained"));
        assertThat(server.requests("POST", ApiPaths.TASK_PULL))
                .as("no pull once shutdown began")
                .allSatisfy(r -> assertThat(r.at()).isBefore(closing));
        Request deregister = server.requests("POST", ApiPaths.AGENT_DEREGISTER).getFirst();
        assertThat(server.requests("POST", ApiPaths.AGENT_DEREGISTER)).hasSize(1);
        assertThat(deregister.bearer()).isEqualTo("agent-token-1");
        assertThat(deregister.body().isObject()).isTrue();
        assertThat(deregister.body().isEmpty()).isTrue();
        assertThat(deregister.at()).isAfter(resultsOf("t-short").getFirst().at());
        assertThat(server.requests("POST", ApiPaths.AGENT_PING))
                .as("pings go on while deregistering")
                .anySatisfy(p -> assertThat(p.at()).isAfter(deregister.at()));
        assertNoPingAfterClose();
    }

    @Test
    void shutdownCancelsATaskThatOutlastsTheDrainTimeout() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        drainTimeout = Duration.ofSeconds(2);
        assign(task("t-outlasts", TaskAction.PLAN_APPLY, "sleep " + marker));
        Agent a = startedAgent(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(a::close);
        // close() gives the task its drain timeout to end by itself.
        await().atMost(Duration.ofSeconds(10)).until(() -> clock.waitingFor(drainTimeout));
        assertThat(resultsOf("t-outlasts"))
                .as("not canceled before the drain timeout is over")
                .isEmpty();
        clock.advance(drainTimeout);
        stepUntil(closing::isDone); // the cancel's grace may pass

        assertThat(closing).isCompleted();
        TaskResult result = awaitResult("t-outlasts");
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).endsWith("the agent is shutting down");
        assertThat(processesWith(marker)).isZero();
        assertThat(server.requests("POST", ApiPaths.AGENT_DEREGISTER))
                .singleElement()
                .satisfies(d -> assertThat(d.at())
                        .isAfter(resultsOf("t-outlasts").getFirst().at()));
    }

    @Test
    void closeGivesUpDeregisteringAfterAFewTries() throws Exception {
        deregisterReply = r -> Reply.error(503, "unavailable", "restarting");
        Agent a = startedAgent(0);
        nextPing();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(a::close);
        stepUntil(closing::isDone); // the back-off between tries passes on the clock
        assertThat(server.requests("POST", ApiPaths.AGENT_DEREGISTER)).hasSizeBetween(2, 3);
    }

    @Test
    void waitsOutAnUnavailableServerWhenRegistering() throws Exception {
        AtomicInteger refused = new AtomicInteger();
        server.on(
                "POST",
                ApiPaths.AGENT_REGISTER,
                r -> refused.incrementAndGet() <= 3
                        ? Reply.error(503, "unavailable", "starting")
                        : Reply.ok(new RegisterResponse("agent-9", "agent-token-9", null, POOL, 1, LEASE_SECONDS)));
        Agent a = agent(server.uri(), Fixtures.poolTokenFile(dir), 0);

        CompletableFuture<Void> starting = CompletableFuture.runAsync(a::start);
        stepUntil(starting::isDone); // each refusal's back-off passes on the clock

        assertThat(starting).isCompleted();
        assertThat(a.agentId()).isEqualTo("agent-9");
        assertThat(refused).hasValue(4);
    }

    @Test
    void startFailsWhenThePoolTokenIsRefused() throws Exception {
        Agent a = agent(server.uri(), Files.writeString(dir.resolve("bad-token"), "not-the-pool-token"), 0);

        assertThatThrownBy(a::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refused registration");
        a.close();
        assertThat(server.requests("POST", ApiPaths.TASK_PULL)).isEmpty();
    }

    @Test
    void closeWhileWaitingForAnUnreachableServerEndsStart() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Agent a = agent(URI.create("http://127.0.0.1:" + closedPort), Fixtures.poolTokenFile(dir), 0);
        CompletableFuture<Void> starting = CompletableFuture.runAsync(a::start);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> clock.waiting() > 0); // registration failed: it waits to retry
        assertThat(starting).isNotDone();

        a.close();

        assertThat(starting).succeedsWithin(Duration.ofSeconds(5));
        assertThat(a.agentId()).isNull();
    }

    @Test
    void refusesAWorkDirectoryAnotherAgentIsUsing() throws Exception {
        startedAgent(0);
        Agent second = new Agent(AgentConfig.builder(server.uri(), Fixtures.poolTokenFile(dir))
                .workDir(dir.resolve("work"))
                .build());

        assertThatThrownBy(second::start).hasMessageContaining("another agent is using");
        second.close();
    }

    @Test
    void deletesTaskDirectoriesACrashedRunLeftBehindButNothingElse() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Path leftover = Files.createDirectories(work.resolve("t-old-a2-0123456789abcdef/.terraform"));
        Path unrelated = Files.createDirectories(work.resolve("keep-me"));

        startedAgent(0);

        assertThat(leftover.getParent()).doesNotExist();
        assertThat(unrelated).exists();
    }
}
