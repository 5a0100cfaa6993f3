package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanFile;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.ReviewRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.RawBytes;
import io.iacrunner.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plan review over the real API, agents simulated: a plan_apply without auto-apply stops planned holding the lock;
 * confirm queues the apply of exactly the stored plan (for any agent), discard ends it; a reviewed plan task's plan is
 * applied by {@code task apply}, refused as stale once the state moved; and each refusal changes nothing.
 */
class PlanReviewTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        // The simulated agents never ping; new workspaces wait for confirmation, as in production.
        server = TestServer.start(c -> c.pingInterval(Duration.ofSeconds(60)).autoApplyDefault(false));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Claimed(TestServer.RegisteredAgent agent, TaskAssignment task) {
        ApiClient job() {
            return agent.job(task);
        }

        String path(String template) {
            return ApiPaths.fill(template, task.taskId());
        }

        void phase(TaskPhase phase) {
            job().post(path(ApiPaths.TASK_PHASE), new PhaseUpdate(task.attempt(), phase), Void.class);
        }

        TaskView result(TaskStatus status) {
            return job().post(
                            path(ApiPaths.TASK_RESULT),
                            new TaskResult(task.attempt(), status, 0, null, 0, null),
                            TaskView.class);
        }

        void uploadPlan(byte[] bundle, Long serial, String lineage) {
            job().put(
                            path(ApiPaths.TASK_PLAN_FILE),
                            new PlanFileUpload(
                                    task.attempt(),
                                    sha256(bundle),
                                    serial,
                                    lineage,
                                    Base64.getEncoder().encodeToString(bundle)),
                            Void.class);
        }

        PlanFile downloadPlan() {
            return job().get(path(ApiPaths.TASK_PLAN_FILE) + "?attempt=" + task.attempt(), PlanFile.class);
        }

        void uploadState(ObjectNode state) {
            job().put(path(ApiPaths.TASK_STATE), new StateUpload(task.attempt(), state), StateVersionView.class);
        }
    }

    /** A workspace of the test's own, its tasks only for agents of its own pool. */
    record Workspace(String id, Map<String, String> labels) {
        static Workspace fresh(String name) {
            String id = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            return new Workspace(id, server.ownPool("pool-" + id));
        }

        TaskView queue(TaskAction action, RunOptions options) {
            ObjectNode tf = JsonNodeFactory.instance.objectNode();
            tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", id);
            return server.admin()
                    .post(
                            ApiPaths.TASKS,
                            new CreateTaskRequest(id, action, tf, null, null, labels, null, null, options),
                            TaskView.class);
        }

        TaskView queue(TaskAction action) {
            return queue(action, null);
        }

        /** A new agent of the workspace's pool, and what its pull claimed. */
        List<Claimed> pull(String agentName) {
            var agent = server.registerAgentInPool(agentName + "-" + id, labels.get("test"));
            PullResponse r = agent.client()
                    .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 3, true, 0), PullResponse.class);
            return r.tasks().stream().map(t -> new Claimed(agent, t)).toList();
        }

        Claimed claim(String agentName) {
            List<Claimed> claimed = pull(agentName);
            assertThat(claimed).hasSize(1);
            return claimed.getFirst();
        }
    }

    static final PlanSummary CHANGES = new PlanSummary(List.of("terraform_data.x"), List.of(), List.of());

    static ObjectNode state(long serial, String lineage) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("version", 4)
                .put("terraform_version", "1.11.4")
                .put("serial", serial)
                .put("lineage", lineage);
        s.putObject("outputs");
        s.putArray("resources");
        return s;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static TaskView task(String id) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    static TaskView review(ApiClient client, String template, String taskId, String comment) {
        return client.post(ApiPaths.fill(template, taskId), new ReviewRequest(comment), TaskView.class);
    }

    static void assertRefused(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).as(e.toString()).isEqualTo(status);
            assertThat(e.code()).as(e.toString()).isEqualTo(code);
        });
    }

    /** Plans with changes, uploads the plan and reports planned, as the agent does. */
    static Claimed planned(Workspace ws, byte[] bundle) {
        Claimed planner = ws.claim("planner");
        assertThat(planner.task().confirmFirst()).isTrue();
        assertThat(planner.task().applyStoredPlan()).isFalse();
        planner.phase(TaskPhase.PLANNING);
        planner.job()
                .post(
                        planner.path(ApiPaths.TASK_PLAN),
                        new PlanReport(planner.task().attempt(), CHANGES),
                        Void.class);
        planner.uploadPlan(bundle, null, null);
        assertThat(planner.result(TaskStatus.PLANNED).status()).isEqualTo(TaskStatus.PLANNED);
        return planner;
    }

    @Test
    void aPlannedRunHoldsTheLockUntilConfirmedAndThenAnotherAgentAppliesExactlyTheStoredPlan() {
        Workspace ws = Workspace.fresh("review");
        TaskView created = ws.queue(TaskAction.PLAN_APPLY);
        assertThat(created.needsConfirmation()).isTrue();
        byte[] bundle = ("a plan bundle " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        Claimed planner = planned(ws, bundle);

        TaskView waiting = task(created.taskId());
        assertThat(waiting.status()).isEqualTo(TaskStatus.PLANNED);
        assertThat(waiting.finishedAt()).as("planned is not an end").isNull();
        assertThat(waiting.planSummary()).isEqualTo(CHANGES);
        WorkspaceView locked = server.workspace(ws.id());
        assertThat(locked.lock().taskId()).isEqualTo(created.taskId());
        assertThat(locked.lock().reason()).contains("waits for confirmation");
        // Nothing else applies in between: the next plan_apply waits behind the lock.
        TaskView next = ws.queue(TaskAction.PLAN_APPLY);
        assertThat(ws.pull("other")).as("the lock keeps the next apply queued").isEmpty();
        // The planned attempt cannot apply on its own: it is no longer running.
        assertRefused(() -> planner.phase(TaskPhase.APPLYING), 409, ErrorCodes.STALE_ATTEMPT);

        TaskView confirmed = review(server.admin(), ApiPaths.TASK_CONFIRM, created.taskId(), "looks right");
        assertThat(confirmed.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(confirmed.reviewedBy()).isNotBlank();
        assertThat(confirmed.reviewComment()).isEqualTo("looks right");
        assertThat(confirmed.applyPlanOf()).isEqualTo(created.taskId());
        assertThat(server.workspace(ws.id()).lock().taskId()).isEqualTo(created.taskId());

        Claimed applier = ws.claim("applier");
        assertThat(applier.task().taskId())
                .as("the confirmed apply, before the next one")
                .isEqualTo(created.taskId());
        assertThat(applier.agent().agentId()).isNotEqualTo(planner.agent().agentId());
        assertThat(applier.task().applyStoredPlan()).isTrue();
        assertThat(applier.task().confirmFirst()).isFalse();
        assertThat(task(created.taskId()).planSummary())
                .as("the summary of what it applies stays")
                .isEqualTo(CHANGES);
        PlanFile plan = applier.downloadPlan();
        assertThat(Base64.getDecoder().decode(plan.bundle())).isEqualTo(bundle);
        assertThat(plan.sha256()).isEqualTo(sha256(bundle));
        applier.phase(TaskPhase.APPLYING);
        applier.uploadState(state(1, "lineage-" + ws.id()));
        assertThat(applier.result(TaskStatus.SUCCEEDED).status()).isEqualTo(TaskStatus.SUCCEEDED);

        assertThat(server.workspace(ws.id()).lock()).isNull();
        assertThat(ws.claim("next").task().taskId()).isEqualTo(next.taskId());
        assertThat(storedPlans(created.taskId()))
                .as("an ended plan_apply's plan is deleted")
                .isZero();
    }

    @Test
    void discardEndsThePlannedRunReleasesTheLockAndDeletesItsPlan() {
        Workspace ws = Workspace.fresh("discard");
        TaskView created = ws.queue(TaskAction.PLAN_APPLY);
        planned(ws, "bundle".getBytes(StandardCharsets.UTF_8));

        TaskView discarded = review(server.admin(), ApiPaths.TASK_DISCARD, created.taskId(), "not now");
        assertThat(discarded.status()).isEqualTo(TaskStatus.DISCARDED);
        assertThat(discarded.finishedAt()).isNotNull();
        assertThat(discarded.reviewComment()).isEqualTo("not now");
        assertThat(server.workspace(ws.id()).lock()).isNull();
        assertThat(storedPlans(created.taskId())).isZero();

        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_DISCARD, created.taskId(), null),
                409,
                ErrorCodes.TASK_NOT_PLANNED);
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_CONFIRM, created.taskId(), null),
                409,
                ErrorCodes.TASK_NOT_PLANNED);
        assertThat(task(created.taskId()).status()).isEqualTo(TaskStatus.DISCARDED);
    }

    @Test
    void confirmRefusesAQueuedARunningAndAFinishedTaskAndATokenWithoutTheApplyRole() {
        Workspace ws = Workspace.fresh("refusals");
        TaskView queued = ws.queue(TaskAction.PLAN_APPLY);
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_CONFIRM, queued.taskId(), null),
                409,
                ErrorCodes.TASK_NOT_PLANNED);
        Claimed running = ws.claim("runner");
        assertThatThrownBy(() -> review(server.admin(), ApiPaths.TASK_CONFIRM, queued.taskId(), null))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCodes.TASK_NOT_PLANNED);
                    assertThat(e.getMessage()).contains("is running");
                });
        // The plan phase of a run that waits can neither apply nor store state.
        assertRefused(() -> running.phase(TaskPhase.APPLYING), 409, "confirmation_required");
        assertRefused(() -> running.uploadState(state(1, "lineage-" + ws.id())), 409, "confirmation_required");
        assertThat(server.workspace(ws.id()).currentStateSerial()).isNull();
        // A planned result without its plan stored is refused, and the task stays running.
        assertRefused(() -> running.result(TaskStatus.PLANNED), 409, ErrorCodes.NO_STORED_PLAN);
        assertThat(task(queued.taskId()).status()).isEqualTo(TaskStatus.RUNNING);
        running.uploadPlan("b".getBytes(StandardCharsets.UTF_8), null, null);
        running.result(TaskStatus.PLANNED);

        ApiClient planToken = server.withToken(server.userToken(Role.PLAN, ws.id()));
        assertRefused(() -> review(planToken, ApiPaths.TASK_CONFIRM, queued.taskId(), null), 403, "forbidden");
        assertRefused(() -> review(planToken, ApiPaths.TASK_DISCARD, queued.taskId(), null), 403, "forbidden");
        ApiClient stranger = server.withToken(server.userToken(Role.ADMIN, "elsewhere-" + ws.id()));
        assertRefused(() -> review(stranger, ApiPaths.TASK_CONFIRM, queued.taskId(), null), 404, "task_not_found");
        assertRefused(
                () -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_CANCEL, queued.taskId()),
                                new CancelRequest(false),
                                TaskView.class),
                409,
                "task_planned");
        assertThat(task(queued.taskId()).status()).as("no refusal changed it").isEqualTo(TaskStatus.PLANNED);

        ApiClient applyToken = server.withToken(server.userToken(Role.APPLY, ws.id()));
        assertThat(review(applyToken, ApiPaths.TASK_CONFIRM, queued.taskId(), null)
                        .status())
                .isEqualTo(TaskStatus.QUEUED);
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_CONFIRM, queued.taskId(), null),
                409,
                ErrorCodes.TASK_NOT_PLANNED);
        Claimed applier = ws.claim("applier");
        applier.downloadPlan();
        applier.phase(TaskPhase.APPLYING);
        applier.result(TaskStatus.SUCCEEDED);
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_CONFIRM, queued.taskId(), null),
                409,
                ErrorCodes.TASK_NOT_PLANNED);
    }

    @Test
    void aReviewCommentOverFourThousandCharactersIsRefusedAndChangesNothing() {
        Workspace ws = Workspace.fresh("comment");
        TaskView created = ws.queue(TaskAction.PLAN_APPLY);
        planned(ws, "bundle".getBytes(StandardCharsets.UTF_8));
        String tooLong = "x".repeat(4_001);
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_CONFIRM, created.taskId(), tooLong), 400, "invalid_comment");
        assertRefused(
                () -> review(server.admin(), ApiPaths.TASK_DISCARD, created.taskId(), tooLong), 400, "invalid_comment");
        TaskView after = task(created.taskId());
        assertThat(after.status()).isEqualTo(TaskStatus.PLANNED);
        assertThat(after.reviewedBy()).isNull();
        assertThat(review(server.admin(), ApiPaths.TASK_DISCARD, created.taskId(), "x".repeat(4_000))
                        .status())
                .as("exactly the limit is fine")
                .isEqualTo(TaskStatus.DISCARDED);
    }

    @Test
    void autoApplyIsAWorkspaceSettingAndADestroyWaitsWhateverItSays() {
        Workspace ws = Workspace.fresh("auto");
        WorkspaceView on = server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, ws.id()),
                        new WorkspaceSettings(null, null, true),
                        WorkspaceView.class);
        assertThat(on.autoApply()).isTrue();
        TaskView normal = ws.queue(TaskAction.PLAN_APPLY);
        assertThat(normal.needsConfirmation()).isFalse();
        TaskView destroy = ws.queue(TaskAction.PLAN_APPLY, new RunOptions(true, false, null, null));
        assertThat(destroy.needsConfirmation()).isTrue();
        assertThat(destroy.runOptions().destroy()).isTrue();
        // Settings that name no auto-apply leave it as it is.
        assertThat(server.admin()
                        .put(
                                ApiPaths.fill(ApiPaths.WORKSPACE, ws.id()),
                                new WorkspaceSettings("1.11.4"),
                                WorkspaceView.class)
                        .autoApply())
                .isTrue();

        Claimed first = ws.claim("auto");
        assertThat(first.task().confirmFirst()).isFalse();
        assertRefused(() -> first.uploadPlan("x".getBytes(StandardCharsets.UTF_8), null, null), 409, "plan_not_kept");
        first.result(TaskStatus.SUCCEEDED);
        Claimed second = ws.claim("auto-2");
        assertThat(second.task().runOptions().planArguments()).containsExactly("-destroy");
        assertThat(second.task().confirmFirst()).isTrue();
    }

    @Test
    void badRunOptionsAreRefusedAndQueueNothing() {
        Workspace ws = Workspace.fresh("modes");
        assertRefused(
                () -> ws.queue(TaskAction.PLAN, new RunOptions(true, true, null, null)), 400, "invalid_run_options");
        assertRefused(
                () -> ws.queue(TaskAction.PLAN, new RunOptions(false, false, List.of("-destroy"), null)),
                400,
                "invalid_run_options");
        assertRefused(
                () -> ws.queue(TaskAction.PLAN, new RunOptions(false, false, null, List.of("a b"))),
                400,
                "invalid_run_options");
        assertThat(server.admin()
                        .get(ApiPaths.TASKS + "?workspace=" + ws.id(), io.iacrunner.protocol.TaskList.class)
                        .tasks())
                .isEmpty();
        TaskView targeted =
                ws.queue(TaskAction.PLAN, new RunOptions(false, false, List.of("terraform_data.x"), List.of()));
        assertThat(targeted.runOptions().planArguments()).containsExactly("-target=terraform_data.x");
    }

    @Test
    void aReviewedPlanTaskIsAppliedOnceAndASecondPlanMadeFromTheSameStateEndsErroredAsStale() {
        Workspace ws = Workspace.fresh("stale");
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, ws.id()),
                        new WorkspaceSettings(null, null, true),
                        WorkspaceView.class);
        String lineage = "lineage-" + ws.id();
        Claimed base = ws.claim("base-" + ws.queue(TaskAction.PLAN_APPLY).taskId());
        base.phase(TaskPhase.APPLYING);
        base.uploadState(state(3, lineage));
        base.result(TaskStatus.SUCCEEDED);

        TaskView planA = ws.queue(TaskAction.PLAN);
        TaskView planB = ws.queue(TaskAction.PLAN);
        for (Claimed plan : ws.pull("planners")) {
            plan.uploadPlan(("plan of " + plan.task().taskId()).getBytes(StandardCharsets.UTF_8), 3L, lineage);
            plan.result(TaskStatus.SUCCEEDED);
        }
        assertRefused(
                () -> server.admin()
                        .post(
                                ApiPaths.fill(
                                        ApiPaths.TASK_APPLY_PLAN, base.task().taskId()),
                                Map.of(),
                                TaskView.class),
                409,
                "not_a_finished_plan");
        ApiClient planToken = server.withToken(server.userToken(Role.PLAN, ws.id()));
        assertRefused(
                () -> planToken.post(ApiPaths.fill(ApiPaths.TASK_APPLY_PLAN, planA.taskId()), Map.of(), TaskView.class),
                403,
                "forbidden");

        TaskView applyA =
                server.admin().post(ApiPaths.fill(ApiPaths.TASK_APPLY_PLAN, planA.taskId()), Map.of(), TaskView.class);
        TaskView applyB =
                server.admin().post(ApiPaths.fill(ApiPaths.TASK_APPLY_PLAN, planB.taskId()), Map.of(), TaskView.class);
        assertThat(applyA.applyPlanOf()).isEqualTo(planA.taskId());
        assertThat(applyA.action()).isEqualTo(TaskAction.PLAN_APPLY);

        Claimed a = ws.claim("apply-a");
        assertThat(a.task().taskId()).isEqualTo(applyA.taskId());
        assertThat(new String(Base64.getDecoder().decode(a.downloadPlan().bundle()), StandardCharsets.UTF_8))
                .isEqualTo("plan of " + planA.taskId());
        a.phase(TaskPhase.APPLYING);
        a.uploadState(state(4, lineage));
        a.result(TaskStatus.SUCCEEDED);

        Claimed b = ws.claim("apply-b");
        assertThat(b.task().taskId()).isEqualTo(applyB.taskId());
        assertRefused(b::downloadPlan, 409, ErrorCodes.STALE_PLAN);
        TaskView stale = task(applyB.taskId());
        assertThat(stale.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(stale.message()).startsWith("stale plan: state changed since the plan");
        assertThat(server.workspace(ws.id()).currentStateSerial()).isEqualTo(4L);
        assertThat(server.workspace(ws.id()).lock()).isNull();

        assertThat(server.server().planRetention().purgeOnce())
                .as("plan B is stale now, and plan A's state moved on too")
                .isGreaterThanOrEqualTo(2);
        assertRefused(
                () -> server.admin()
                        .post(ApiPaths.fill(ApiPaths.TASK_APPLY_PLAN, planB.taskId()), Map.of(), TaskView.class),
                409,
                ErrorCodes.NO_STORED_PLAN);
    }

    @Test
    void aStoredPlanIsSealedAtRestAndNoUserFacingResponseCarriesIt() throws Exception {
        Workspace ws = Workspace.fresh("sealed");
        String marker = "plan-marker-" + UUID.randomUUID();
        TaskView created = ws.queue(TaskAction.PLAN_APPLY);
        planned(ws, (marker + " tfstate-prev tfconfig/").getBytes(StandardCharsets.UTF_8));
        assertThat(storedPlans(created.taskId())).isEqualTo(1);
        server.store().useHandle(h -> h.execute("checkpoint"));

        assertThat(RawBytes.filesContaining(server.dataDir(), marker))
                .as("the plan, sealed, is nowhere in the database's files (WAL included)")
                .isEmpty();
        for (String path : List.of(
                ApiPaths.fill(ApiPaths.TASK, created.taskId()),
                ApiPaths.TASKS + "?workspace=" + ws.id(),
                ApiPaths.fill(ApiPaths.WORKSPACE, ws.id()),
                ApiPaths.WORKSPACES,
                ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, created.taskId()))) {
            assertThat(server.admin().getText(path)).as(path).doesNotContain(marker);
        }
    }

    static int storedPlans(String taskId) {
        return server.store()
                .withHandle(h -> h.createQuery("select count(*) from stored_plans where task_id = :t")
                        .bind("t", taskId)
                        .mapTo(Integer.class)
                        .one());
    }
}
