package io.iacrunner.server.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.store.EmbeddedPostgresTesting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * A real server for tests: its own embedded PostgreSQL in a fresh temp data dir (so every test class gets a fresh
 * database), a random free port, and clients holding the credentials it wrote.
 */
public final class TestServer implements AutoCloseable {
    private final Path dataDir;
    private final IacServer server;
    private final SteppedClock clock;

    private TestServer(Path dataDir, IacServer server, SteppedClock clock) {
        this.dataDir = dataDir;
        this.server = server;
        this.clock = clock;
    }

    public static TestServer start() {
        return start(Duration.ofSeconds(1));
    }

    /** A short ping interval keeps tests of liveness quick. */
    public static TestServer start(Duration pingInterval) {
        return start(config -> config.pingInterval(pingInterval));
    }

    /** A server on a fresh data dir and a free port, its configuration adjusted by {@code adjust}. */
    public static TestServer start(UnaryOperator<ServerConfig.Builder> adjust) {
        return start(adjust, reason -> {});
    }

    /** As {@link #start(UnaryOperator)}, telling {@code fatal} why the server cannot go on, if it comes to that. */
    public static TestServer start(
            UnaryOperator<ServerConfig.Builder> adjust, java.util.function.Consumer<String> fatal) {
        try {
            Path dir = Files.createTempDirectory("iac-test-server");
            ServerConfig config = adjust.apply(ServerConfig.builder()
                            .pingInterval(Duration.ofSeconds(1))
                            // Tests mint many credentials from one address; RateLimitTest sets its own limit.
                            .credentialRequestsPerMinute(100_000)
                            // A plan_apply applies at once unless a test of plan review turns this off.
                            .autoApplyDefault(true))
                    .build();
            SteppedClock clock = new SteppedClock();
            return new TestServer(
                    dir,
                    IacServer.start(
                            shortLease(config).toBuilder().port(0).dataDir(dir).build(), fatal, clock),
                    clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Unless a test sets the lease itself, three of its ping intervals: tests of lost agents then take seconds, not the
     * production default of two minutes.
     */
    public static ServerConfig shortLease(ServerConfig config) {
        if (config.leases().agent() != null) return config;
        return config.toBuilder()
                .agentLease(config.pingInterval().multipliedBy(3))
                .build();
    }

    public IacServer server() {
        return server;
    }

    /**
     * The server's clock: tokens expire, and leases, timeouts and retention are recorded and judged, by it. Advance it
     * to make a lease run out now, then step the recovery by hand ({@code server().leases().recoverOnce()}).
     */
    public SteppedClock clock() {
        return clock;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * The server's embedded PostgreSQL, reached directly, for a test that calls the stores itself behind the API's
     * back (a server on an external database is reached through that database instead).
     */
    public Jdbi store() {
        return Jdbi.create(EmbeddedPostgresTesting.jdbcUrl(dataDir), "postgres", "")
                .installPlugin(new PostgresPlugin());
    }

    public java.net.URI baseUrl() {
        return server.baseUrl();
    }

    public String adminToken() {
        return read(server.adminTokenFile());
    }

    public String poolToken() {
        return read(server.agentTokenFile());
    }

    public ApiClient admin() {
        String token = adminToken();
        return new ApiClient(baseUrl(), () -> token);
    }

    public ApiClient withToken(String token) {
        return new ApiClient(baseUrl(), () -> token);
    }

    public ApiClient anonymous() {
        return new ApiClient(baseUrl(), () -> null);
    }

    /** Registers a simulated agent and returns a client holding its agent token. */
    public RegisteredAgent registerAgent(String name) {
        return registerAgent(name, poolToken());
    }

    /** Registers a simulated agent with the given pool token (see {@link #issuePoolToken}). */
    public RegisteredAgent registerAgent(String name, String poolToken) {
        RegisterResponse r = withToken(poolToken)
                .post(ApiPaths.AGENT_REGISTER, new RegisterRequest(name, "test", "localhost"), RegisterResponse.class);
        return new RegisteredAgent(r.agentId(), withToken(r.agentToken()), r);
    }

    /** A new token that registers agents into {@code poolId}. */
    public String issuePoolToken(String poolId) {
        return admin().post(ApiPaths.fill(ApiPaths.POOL_TOKENS, poolId), Map.of(), PoolToken.class)
                .token();
    }

    /** A new user token holding {@code role} in each of {@code workspaces}. */
    public String userToken(Role role, String... workspaces) {
        Map<String, Role> grants = new java.util.TreeMap<>();
        for (String ws : workspaces) grants.put(ws, role);
        return admin().post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("test " + role.wireName(), null, grants, null, null),
                        TokenCreated.class)
                .token();
    }

    /** The workspace as users see it, its lock included. */
    public WorkspaceView workspace(String workspaceId) {
        return admin().get(ApiPaths.fill(ApiPaths.WORKSPACE, workspaceId), WorkspaceView.class);
    }

    public record RegisteredAgent(String agentId, ApiClient client, RegisterResponse registration) {
        /** A client with the claim's job token: the only credential that uploads for that attempt. */
        public ApiClient job(TaskAssignment task) {
            return client.withToken(task::jobToken);
        }
    }

    /** The same agent, talking to this server (another replica than the one it registered with, say). */
    public ApiClient clientOf(RegisteredAgent agent) {
        return withToken(agent.registration().agentToken());
    }

    /**
     * Waits until {@code count} agents' long polls are parked on this server (its {@code iac_pulls_waiting}): a
     * task queued from now on wakes them, rather than being found by a pull still on its way.
     */
    public void awaitWaitingPulls(int count) {
        org.awaitility.Awaitility.await("long polls waiting")
                .atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(20))
                .until(() -> metrics().value("iac_pulls_waiting") >= count);
    }

    /** What {@code /metrics} says now. */
    public PrometheusText metrics() {
        return new PrometheusText(anonymous().getText(ApiPaths.METRICS));
    }

    /**
     * Queues a plan of a one-resource configuration in {@code workspace} that only an agent of a pool with all of
     * {@code labels} takes: with a label no pool has, it stays queued.
     */
    public TaskView queuePlan(String workspace, Map<String, String> labels) {
        if (labels != null && !labels.isEmpty()) parkingPool(labels);
        return queue(workspace, TaskAction.PLAN, labels);
    }

    /** Queues {@code action} of a one-resource configuration in {@code workspace}, requiring {@code labels} (or none). */
    public TaskView queue(String workspace, TaskAction action, Map<String, String> labels) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        return admin().post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                        TaskView.class);
    }

    /**
     * A pool with exactly {@code labels} that no agent registers into: a task that requires them is accepted (a pool
     * of its workspace could run it, so it is not refused as {@code no_pool_can_run}) and stays queued. Returns the
     * labels.
     */
    public Map<String, String> parkingPool(Map<String, String> labels) {
        String id = "parking-"
                + Integer.toHexString(new java.util.TreeMap<>(labels).toString().hashCode());
        setPool(id, 1, false, labels);
        return labels;
    }

    /**
     * A pool of the test's own whose label {@code test=POOL} tasks can require, so that what other tests leave queued
     * or queued again never reaches this test's agents, and this test's tasks no other agent. Returns the label.
     */
    public Map<String, String> ownPool(String poolId) {
        Map<String, String> labels = Map.of("test", poolId);
        setPool(poolId, 3, false, labels);
        return labels;
    }

    /** An agent registered into {@code poolId} (made with {@link #ownPool}, say). */
    public RegisteredAgent registerAgentInPool(String name, String poolId) {
        return registerAgent(name, issuePoolToken(poolId));
    }

    public void setPool(String poolId, int maxPlanConcurrency, boolean allowApplyConcurrent) {
        setPool(poolId, maxPlanConcurrency, allowApplyConcurrent, Map.of());
    }

    public void setPool(
            String poolId, int maxPlanConcurrency, boolean allowApplyConcurrent, Map<String, String> labels) {
        admin().put(
                        ApiPaths.fill(ApiPaths.POOL, poolId),
                        new PoolConfig(poolId, maxPlanConcurrency, allowApplyConcurrent, labels),
                        PoolConfig.class);
    }

    @Override
    public void close() {
        server.close();
        try (Stream<Path> walk = Files.walk(dataDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp dir left behind is harmless.
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
