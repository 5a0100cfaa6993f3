package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.LogCapture;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * An external PostgreSQL that stops taking this server's connections (its database refuses them and the open ones are
 * terminated): no supervision here, but requests still fail fast with {@code 503 store_unavailable}, the log says so
 * once, and everything works again when the database does.
 */
// Alone: it reads the process-wide log (LogCapture).
@Isolated
class ExternalStoreOutageTest {
    static final Duration FAST = Duration.ofSeconds(2);

    ExternalServices.FreshDatabase db;
    TestServer server;

    @BeforeEach
    void start() {
        db = ExternalServices.postgres();
        server = TestServer.start(db::configure);
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            db.close();
        }
    }

    @Test
    void requestsAnswer503StoreUnavailableWithinTwoSecondsDuringTheOutageAndWorkAgainAfter() {
        TaskView queued = server.queuePlan("outage", Map.of("test", "nobody"));
        var agent = server.registerAgent("outage-agent");
        RawHttp raw = new RawHttp(server.baseUrl());
        String admin = server.adminToken();
        try (LogCapture logs = LogCapture.start()) {
            db.refuseConnections();

            for (Supplier<RawHttp.Reply> request : List.<Supplier<RawHttp.Reply>>of(
                    () -> raw.send("GET", ApiPaths.TASKS, admin, (String) null),
                    () -> raw.send("GET", ApiPaths.fill(ApiPaths.TASK, queued.taskId()), admin, (String) null),
                    () -> raw.send(
                            "POST",
                            ApiPaths.TASKS,
                            admin,
                            "{\"workspace_id\":\"outage\",\"action\":\"plan\",\"tf_json\":{\"resource\":{}}}"))) {
                RawHttp.Reply reply = timed(request);
                assertThat(reply.status()).as(reply.body()).isEqualTo(503);
                assertThat(reply.errorCode()).isEqualTo("store_unavailable");
                assertThat(reply.header("retry-after")).isEqualTo("2");
                assertThat(reply.body()).doesNotContain("Exception").doesNotContain("java.");
            }
            // An agent's ping: transient, so the agent retries instead of registering again.
            ApiException ping = timed(() -> catchApi(() -> agent.client()
                    .post(
                            ApiPaths.AGENT_PING,
                            new AgentPing(agent.agentId(), false, 0, 3, false, List.of(), 0, 0, "test"),
                            Object.class)));
            assertThat(ping.status()).isEqualTo(503);
            assertThat(ping.code()).isEqualTo("store_unavailable");
            assertThat(ping.isTransient()).isTrue();

            RawHttp.Reply ready = timed(() -> raw.send("GET", ApiPaths.READY, null, (String) null));
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().path("checks").path("store").asText()).isEqualTo("unavailable");
            assertThat(raw.send("GET", ApiPaths.HEALTH, null, (String) null).status())
                    .as("the server can wait for its database: alive")
                    .isEqualTo(200);

            db.allowConnections();
            TaskView after = await("the store answers again")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(
                            () -> server.admin().get(ApiPaths.fill(ApiPaths.TASK, queued.taskId()), TaskView.class),
                            t -> t != null);
            assertThat(after.status()).isEqualTo(TaskStatus.QUEUED);
            await("the outage's end is logged")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !logs.containing("store available again").isEmpty());
            assertThat(raw.send("GET", ApiPaths.READY, null, (String) null).status())
                    .isEqualTo(200);

            String seen = LogCapture.describe(logs.events());
            assertThat(logs.containing("store unavailable")).as(seen).hasSize(1);
            assertThat(logs.containing("store available again")).as(seen).hasSize(1);
            assertThat(logs.atLeast(Level.ERROR)).as(seen).isEmpty();
            assertThat(logs.events()).as("no stack traces: " + seen).allMatch(e -> e.getThrowableProxy() == null);
        }
    }

    private static <T> T timed(Supplier<T> request) {
        long start = System.nanoTime();
        T reply = request.get();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took)
                .as("answered within %s (took %d ms)", FAST, took.toMillis())
                .isLessThan(FAST);
        return reply;
    }

    private static ApiException catchApi(Runnable call) {
        try {
            call.run();
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }
}
