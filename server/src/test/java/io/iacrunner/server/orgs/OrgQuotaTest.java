package io.iacrunner.server.orgs;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An organisation's queue and running quotas, and a workspace's plan quota. */
class OrgQuotaTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = OrgFixture.startServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aCreateBeyondTheQueueQuotaIsRefusedWith429AndStoresNothing() {
        OrgFixture org = OrgFixture.create(server, "q-queued", null, 3);
        org.pool("p", 3, Map.of());
        for (int i = 0; i < 3; i++) org.queue("ws", TaskAction.PLAN, Map.of());
        var refusal = OrgIsolationTest.catchApi(() -> org.queue("ws", TaskAction.PLAN, Map.of()));
        assertThat(refusal.status()).isEqualTo(429);
        assertThat(refusal.code()).isEqualTo("org_queue_full");
        assertThat(org.owner().get(ApiPaths.TASKS + org.q(), TaskList.class).tasks())
                .hasSize(3);
    }

    @Test
    void theRunningQuotaAndAWorkspacesPlanQuotaHoldInTheClaim() {
        OrgFixture org = OrgFixture.create(server, "q-running", 2, null);
        String token = org.pool("p", 5, Map.of());
        for (int i = 0; i < 4; i++) org.queue("ws-" + i, TaskAction.PLAN, Map.of());
        var agent = server.registerAgent("quota", token);
        PullResponse first = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 5, false, 0), PullResponse.class);
        assertThat(first.tasks()).as("max_running 2 of the organisation").hasSize(2);

        OrgFixture other = OrgFixture.create(server, "q-plans", null, null);
        String otherToken = other.pool("p", 5, Map.of());
        other.owner()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "narrow") + other.q(),
                        new WorkspaceSettings(null, null, null, null, 1),
                        WorkspaceView.class);
        for (int i = 0; i < 3; i++) other.queue("narrow", TaskAction.PLAN, Map.of());
        other.queue("wide", TaskAction.PLAN, Map.of());
        var otherAgent = server.registerAgent("plans", otherToken);
        PullResponse pulled = otherAgent
                .client()
                .post(ApiPaths.TASK_PULL, new PullRequest(otherAgent.agentId(), 5, false, 0), PullResponse.class);
        assertThat(pulled.tasks())
                .as("one plan of 'narrow' (max_plans_running 1), and the one of 'wide'")
                .extracting(t -> t.workspaceId())
                .containsExactlyInAnyOrder("q-plans/narrow", "q-plans/wide");
    }
}
