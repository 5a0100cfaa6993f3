package io.iacrunner.server.orgs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceList;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Nothing of one organisation reaches another's agents or credentials, whatever labels a task names. */
class OrgIsolationTest {
    static TestServer server;
    static OrgFixture a;
    static OrgFixture b;

    @BeforeAll
    static void start() {
        server = OrgFixture.startServer();
        a = OrgFixture.create(server, "iso-a", null, null);
        b = OrgFixture.create(server, "iso-b", null, null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /**
     * 20 pullers, 10 in a pool of each organisation, with the same labels; each organisation queues 30 plans naming
     * exactly those labels. Every task is claimed once, and only by an agent of its own organisation's pool.
     */
    @Test
    void aTaskIsNeverClaimedByAPoolNotGrantedToItsWorkspaceWhateverItsLabels() throws Exception {
        Map<String, String> labels = Map.of("net", "shared-name");
        String tokenA = a.pool("runners", 3, labels);
        String tokenB = b.pool("runners", 3, labels);
        Map<String, String> orgOfAgent = new HashMap<>();
        List<TestServer.RegisteredAgent> agents = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            var agentA = server.registerAgent("a-" + i, tokenA);
            var agentB = server.registerAgent("b-" + i, tokenB);
            orgOfAgent.put(agentA.agentId(), "iso-a");
            orgOfAgent.put(agentB.agentId(), "iso-b");
            agents.add(agentA);
            agents.add(agentB);
        }
        Map<String, String> orgOfTask = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            orgOfTask.put(a.queue("ws-" + (i % 3), TaskAction.PLAN, labels).taskId(), "iso-a");
            orgOfTask.put(b.queue("ws-" + (i % 3), TaskAction.PLAN, labels).taskId(), "iso-b");
        }
        List<String[]> claims = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int round = 0; round < 3 && claims.size() < 60; round++) {
            List<Future<List<String[]>>> pulls = new ArrayList<>();
            try (var pool = Executors.newFixedThreadPool(20)) {
                for (var agent : agents) {
                    pulls.add(pool.submit(() -> {
                        go.await();
                        PullResponse r = agent.client()
                                .post(
                                        ApiPaths.TASK_PULL,
                                        new PullRequest(agent.agentId(), 3, false, 0),
                                        PullResponse.class);
                        return r.tasks().stream()
                                .map(t -> new String[] {t.taskId(), agent.agentId()})
                                .toList();
                    }));
                }
                go.countDown();
                for (var pull : pulls) claims.addAll(pull.get(60, TimeUnit.SECONDS));
            }
        }
        assertThat(claims).hasSize(60);
        Set<String> seen = new HashSet<>();
        for (String[] claim : claims) {
            assertThat(seen.add(claim[0])).as("claimed once: " + claim[0]).isTrue();
            assertThat(orgOfAgent.get(claim[1]))
                    .as("task %s claimed by agent %s", claim[0], claim[1])
                    .isEqualTo(orgOfTask.get(claim[0]));
        }
    }

    @Test
    void aWorkspaceNamingItsPoolRunsOnlyThereAndUnrunnableLabelsAreRefusedAtCreation() {
        a.pool("gpu", 2, Map.of("kind", "gpu"));
        String cpuToken = a.pool("cpu", 2, Map.of("kind", "cpu"));
        a.owner()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "bound") + a.q(),
                        new WorkspaceSettings(null, null, null, "gpu", null),
                        WorkspaceView.class);
        assertThatThrownBy(() -> a.queue("bound", TaskAction.PLAN, Map.of("kind", "cpu")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("no_pool_can_run");
                });
        TaskView task = a.queue("bound", TaskAction.PLAN, Map.of());
        var cpu = server.registerAgent("cpu-agent", cpuToken);
        PullResponse none =
                cpu.client().post(ApiPaths.TASK_PULL, new PullRequest(cpu.agentId(), 3, false, 0), PullResponse.class);
        assertThat(none.tasks()).extracting(TaskAssignment::taskId).doesNotContain(task.taskId());
        // Another organisation's pool cannot be named: the same 404 as a pool that does not exist.
        assertThatThrownBy(() -> b.owner()
                        .put(
                                ApiPaths.fill(ApiPaths.WORKSPACE, "bound") + b.q(),
                                new WorkspaceSettings(null, null, null, "iso-a/gpu", null),
                                WorkspaceView.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("pool_not_found"));
    }

    @Test
    void anotherOrganisationsWorkspacesAreInvisibleAndAnUnknownOrganisationLooksTheSame() {
        a.queue("private", TaskAction.PLAN, Map.of());
        ApiException hidden = catchApi(() ->
                b.owner().get(ApiPaths.fill(ApiPaths.WORKSPACE, "private") + "?org=iso-a", WorkspaceView.class));
        ApiException unknown = catchApi(() ->
                b.owner().get(ApiPaths.fill(ApiPaths.WORKSPACE, "private") + "?org=no-such-org", WorkspaceView.class));
        assertThat(hidden.status()).isEqualTo(unknown.status()).isEqualTo(404);
        assertThat(hidden.code()).isEqualTo(unknown.code()).isEqualTo("workspace_not_found");
        ApiException orgHidden = catchApi(() -> b.owner().get(ApiPaths.fill(ApiPaths.ORG, "iso-a"), Object.class));
        ApiException orgUnknown = catchApi(() -> b.owner().get(ApiPaths.fill(ApiPaths.ORG, "nope"), Object.class));
        assertThat(orgHidden.code()).isEqualTo(orgUnknown.code()).isEqualTo("org_not_found");
        assertThat(b.owner()
                        .get(ApiPaths.WORKSPACES + "?org=iso-a", WorkspaceList.class)
                        .workspaces())
                .isEmpty();
        assertThat(a.owner()
                        .get(ApiPaths.WORKSPACES + a.q(), WorkspaceList.class)
                        .workspaces())
                .extracting(w -> w.workspaceId())
                .contains("iso-a/private");
    }

    static ApiException catchApi(Runnable call) {
        try {
            call.run();
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }
}
