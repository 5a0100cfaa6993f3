package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each workspace's next plan_apply ({@link ApplyQueue}) follows the status changes of its applies through the API, and
 * the claim takes applies only from it, and only while the workspace may run it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApplyQueueTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        // Its agents never ping: a long lease keeps their claims theirs however slow the machine.
        server = TestServer.start(java.time.Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theNextApplyMovesOnWhenItIsCanceledClaimedOrEndsAndComesBackWhenHandedBack() {
        Map<String, String> labels = server.ownPool("next-apply");
        var agent = server.registerAgentInPool("next-apply", "next-apply");
        String ws = "ws-next-apply";
        TaskView first = server.queue(ws, TaskAction.PLAN_APPLY, labels);
        TaskView second = server.queue(ws, TaskAction.PLAN_APPLY, labels);
        TaskView third = server.queue(ws, TaskAction.PLAN_APPLY, labels);
        server.queue(ws, TaskAction.PLAN, labels);
        assertThat(next(ws)).as("the oldest; plans are no part of it").isEqualTo(first.taskId());

        server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, first.taskId()), new CancelRequest(false), TaskView.class);
        assertThat(next(ws)).as("canceled while queued").isEqualTo(second.taskId());

        TaskAssignment claimed = pullOne(agent, TaskAction.PLAN_APPLY);
        assertThat(claimed.taskId()).isEqualTo(second.taskId());
        assertThat(next(ws)).as("claimed").isEqualTo(third.taskId());

        agent.job(claimed)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_HAND_BACK, claimed.taskId()),
                        new HandBack(claimed.attempt(), "no room"),
                        TaskView.class);
        assertThat(next(ws)).as("queued again, older than the third").isEqualTo(second.taskId());

        TaskAssignment again = pullOne(agent, TaskAction.PLAN_APPLY);
        assertThat(again.taskId()).isEqualTo(second.taskId());
        finish(agent, again);
        TaskAssignment last = pullOne(agent, TaskAction.PLAN_APPLY);
        assertThat(last.taskId()).isEqualTo(third.taskId());
        assertThat(next(ws)).as("none queued").isNull();
        finish(agent, last);
        assertThat(everyNextIsTheOldestQueued()).isTrue();
    }

    @Test
    void anApplyWhoseWorkspaceIsLockedIsNeverACandidateWhileNewerOnesElsewhereAre() {
        Map<String, String> labels = server.ownPool("blocked");
        var holder = server.registerAgentInPool("blocked-holder", "blocked");
        var puller = server.registerAgentInPool("blocked-puller", "blocked");
        List<String> locked = List.of("ws-blocked-1", "ws-blocked-2", "ws-blocked-3");
        for (String ws : locked) {
            server.queue(ws, TaskAction.PLAN_APPLY, labels);
            server.queue(ws, TaskAction.PLAN_APPLY, labels);
        }
        // The holder takes the first apply of each workspace in turn and keeps running it: each stays locked.
        var holders = new java.util.ArrayList<TestServer.RegisteredAgent>(List.of(holder));
        for (int i = 1; i < locked.size(); i++)
            holders.add(server.registerAgentInPool("blocked-holder-" + i, "blocked"));
        for (var h : holders)
            assertThat(pullOne(h, TaskAction.PLAN_APPLY).workspaceId()).isIn(locked);
        assertThat(pull(puller).tasks())
                .as("every queued apply waits behind its workspace's lock")
                .isEmpty();

        TaskView free = server.queue("ws-blocked-free", TaskAction.PLAN_APPLY, labels);
        TaskView plan = server.queue("ws-blocked-1", TaskAction.PLAN, labels);
        assertThat(pull(puller).tasks())
                .as("the newest apply, of a free workspace, goes first; then the plan beside a locked one")
                .extracting(TaskAssignment::taskId)
                .containsExactly(free.taskId());
        var planner = server.registerAgentInPool("blocked-planner", "blocked");
        assertThat(planner.client()
                        .post(
                                ApiPaths.TASK_PULL,
                                new PullRequest(planner.agentId(), 1, false, 0),
                                io.iacrunner.protocol.PullResponse.class)
                        .tasks())
                .extracting(TaskAssignment::taskId)
                .containsExactly(plan.taskId());
        assertThat(everyNextIsTheOldestQueued()).isTrue();
    }

    @Test
    void theNextApplyStaysTheOldestQueuedWhileApplysAreQueuedAndCanceledConcurrently() throws Exception {
        Map<String, String> labels = server.ownPool("next-apply-races");
        String ws = "ws-next-apply-races";
        try (var creators = java.util.concurrent.Executors.newFixedThreadPool(6)) {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int c = 0; c < 6; c++) {
                done.add(creators.submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        TaskView t = server.queue(ws, TaskAction.PLAN_APPLY, labels);
                        // Every other one is canceled at once: often the next one, while others are being queued.
                        if (i % 2 == 0)
                            server.admin()
                                    .post(
                                            ApiPaths.fill(ApiPaths.TASK_CANCEL, t.taskId()),
                                            new CancelRequest(false),
                                            TaskView.class);
                    }
                    return null;
                }));
            }
            for (var f : done) f.get();
        }
        assertThat(next(ws)).isNotNull();
        assertThat(everyNextIsTheOldestQueued()).isTrue();
    }

    static io.iacrunner.protocol.PullResponse pull(TestServer.RegisteredAgent agent) {
        return agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 1, true, 0),
                        io.iacrunner.protocol.PullResponse.class);
    }

    static TaskAssignment pullOne(TestServer.RegisteredAgent agent, TaskAction action) {
        List<TaskAssignment> got = pull(agent).tasks();
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().action()).isEqualTo(action);
        return got.getFirst();
    }

    static void finish(TestServer.RegisteredAgent agent, TaskAssignment t) {
        agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                        TaskView.class);
    }

    static String next(String ws) {
        return server.store()
                .withHandle(h -> h.createQuery("select next_apply_task from workspaces where workspace_id = :ws")
                        .bind("ws", ws)
                        .mapTo(String.class)
                        .one());
    }

    /** The invariant itself, over every workspace of the store: what it names is its oldest queued plan_apply. */
    static boolean everyNextIsTheOldestQueued() {
        return server.store()
                .withHandle(h -> h.createQuery("""
                        select not exists (select 1 from workspaces w
                            left join lateral (
                                select task_id, seq from tasks t
                                where t.workspace_id = w.workspace_id and t.action = 'plan_apply' and t.status = 'queued'
                                order by seq limit 1) o on true
                            where w.next_apply_task is distinct from o.task_id or w.next_apply_seq is distinct from o.seq)""").mapTo(Boolean.class).one());
    }
}
