package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.tasks.LeaseMonitor;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * While the store is down no agent can ping, so silence then must cost no agent its lease: the lease monitor counts
 * silence again only from the tick that finds the store back. Time is stepped; the outage is a real SIGKILL of the
 * embedded PostgreSQL, which the server restarts (waiting for that restart is the only real time here).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LeaseCountingAfterStoreOutageTest {
    static final Duration PING = Duration.ofSeconds(60);

    @Test
    void silenceDuringAStoreOutageCostsNoAgentItsLeaseButSilenceAfterItDoes() throws Exception {
        try (TestServer server = TestServer.start(PING)) {
            Duration lease = PING.multipliedBy(3); // the test server's lease: three ping intervals
            LeaseMonitor leases = server.server().leases();
            Map<String, String> labels = server.ownPool("outage");
            ObjectNode tf = JsonNodeFactory.instance.objectNode();
            tf.putObject("resource").putObject("terraform_data").putObject("x");
            TaskView created = server.admin()
                    .post(
                            ApiPaths.TASKS,
                            new CreateTaskRequest("outage-ws", TaskAction.PLAN, tf, null, null, labels, null, null),
                            TaskView.class);
            var agent = server.registerAgentInPool("outage-agent", "outage");
            PullResponse pulled = agent.client()
                    .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
            TaskAssignment claimed = pulled.tasks().getFirst();
            assertThat(claimed.taskId()).isEqualTo(created.taskId());

            ProcessHandle.of(EmbeddedPostgresTesting.postmasterPid(server.dataDir()))
                    .orElseThrow()
                    .destroyForcibly();
            // A tick meets the outage (backends that have not yet noticed their postmaster's death may serve a few).
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> !leases.tick());
            // More than a lease passes while nobody can ping.
            server.clock().advance(lease.plusSeconds(1));
            RawHttp raw = new RawHttp(server.baseUrl());
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> raw.send(
                                            "GET",
                                            ApiPaths.fill(ApiPaths.TASK, created.taskId()),
                                            server.adminToken(),
                                            (String) null)
                                    .status()
                            == 200);

            assertThat(leases.tick()).isTrue();
            assertThat(task(server, created).status())
                    .as("the outage's silence did not count")
                    .isEqualTo(TaskStatus.RUNNING);
            assertThat(task(server, created).attempt()).isEqualTo(claimed.attempt());

            // Silence after the store is back counts as always: a lease later, the plan goes back to the queue.
            server.clock().advance(lease.plusSeconds(1));
            assertThat(leases.tick()).isTrue();
            assertThat(task(server, created).status()).isEqualTo(TaskStatus.QUEUED);
        }
    }

    private static TaskView task(TestServer server, TaskView created) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, created.taskId()), TaskView.class);
    }
}
