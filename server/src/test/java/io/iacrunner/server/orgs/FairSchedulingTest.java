package io.iacrunner.server.orgs;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fair scheduling on PostgreSQL, in simulated seconds (no test waits for real time): organisation A queues 2,000
 * plans, then B queues 20, one per second, on one pool of 10 plan slots (10 agents of one slot) where each plan runs
 * 4 seconds, so that 2 or 3 slots free every second and B needs 4 of the 10 (less than its half share: a tenant that
 * wants more than its share waits for its own runs, not for A's backlog). Each B plan starts within one slot
 * turnover: at most one slot goes to A between B's queueing and its start. A keeps the rest of the pool busy, and no
 * task is claimed twice.
 */
class FairSchedulingTest {
    static final int SLOTS = 10;
    static final int PLAN_SECONDS = 4;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = OrgFixture.startServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Running(TestServer.RegisteredAgent agent, TaskAssignment task, int endsAt) {}

    @Test
    void aSmallTenantsPlansStartWithinOneSlotTurnoverBesideABigBacklog() throws Exception {
        OrgFixture a = OrgFixture.create(server, "big", null, null);
        OrgFixture b = OrgFixture.create(server, "small", null, null);
        String token = poolToken();
        for (String org : List.of("big", "small"))
            server.admin().post(ApiPaths.fill(ApiPaths.POOL_SHARES, "shared"), Map.of("name", org), Object.class);
        try (var queueing = Executors.newFixedThreadPool(8)) {
            List<Future<TaskView>> queued = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                int n = i;
                queued.add(queueing.submit(() -> a.queue("backlog-" + (n % 5), TaskAction.PLAN, Map.of())));
            }
            for (var q : queued) q.get();
        }
        List<TestServer.RegisteredAgent> agents = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) agents.add(server.registerAgent("fair-" + i, token));

        Set<String> claimed = new HashSet<>();
        Map<String, Integer> queuedAt = new HashMap<>();
        // Per B plan still queued: how many slots went to A since it was queued (its wait, in slot turnovers).
        Map<String, Integer> aClaimsSince = new HashMap<>();
        List<Integer> bWaits = new ArrayList<>();
        List<Running> running = new ArrayList<>();
        int busySlotSeconds = 0;
        int seconds = 0;
        for (int now = 0; now < 40; now++, seconds++) {
            if (now >= 5 && now < 25) {
                String queued = b.queue("small-ws", TaskAction.PLAN, Map.of()).taskId();
                queuedAt.put(queued, now);
                aClaimsSince.put(queued, 0);
            }
            for (var it = running.iterator(); it.hasNext(); ) {
                Running r = it.next();
                if (r.endsAt() > now) continue;
                r.agent()
                        .job(r.task())
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_RESULT, r.task().taskId()),
                                new TaskResult(r.task().attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                                TaskView.class);
                it.remove();
            }
            for (var agent : agents) {
                if (running.stream().anyMatch(r -> r.agent() == agent)) continue;
                PullResponse pulled = agent.client()
                        .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, false, 0), PullResponse.class);
                for (TaskAssignment t : pulled.tasks()) {
                    assertThat(claimed.add(t.taskId()))
                            .as("claimed once: " + t.taskId())
                            .isTrue();
                    // Staggered lengths at the start, so that slots free one by one, as in a pool that has run a while.
                    int length = now == 0 ? 1 + running.size() % PLAN_SECONDS : PLAN_SECONDS;
                    running.add(new Running(agent, t, now + length));
                    Integer at = queuedAt.remove(t.taskId());
                    if (at != null) bWaits.add(aClaimsSince.remove(t.taskId()));
                    else aClaimsSince.replaceAll((task, claims) -> claims + 1);
                }
            }
            busySlotSeconds += running.size();
        }
        assertThat(bWaits).as("every B plan started").hasSize(20);
        assertThat(bWaits)
                .as("B's queue-to-start, in slot turnovers (1 s)")
                .allSatisfy(w -> assertThat(w).isLessThanOrEqualTo(1));
        assertThat(busySlotSeconds / (double) (seconds * SLOTS))
                .as("pool utilisation")
                .isGreaterThanOrEqualTo(0.9);
    }

    /** The default organisation's pool, shared with both; one token for all of its agents. */
    static String poolToken() {
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "shared"),
                        new io.iacrunner.protocol.PoolConfig("shared", 1, false, Map.of()),
                        io.iacrunner.protocol.PoolConfig.class);
        return server.issuePoolToken("shared");
    }
}
