package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RollbackRequest;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** State versions by number, rollback and its refusals; the plan summary and its validation. Over the real API. */
class StateRollbackAndPlanSummaryTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60)); // the simulated agents never ping
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Claimed(TestServer.RegisteredAgent agent, TaskAssignment task) {
        <T> T post(String path, Object body, Class<T> type) {
            return agent.job(task).post(ApiPaths.fill(path, task.taskId()), body, type);
        }
    }

    static Claimed claim(String workspace, TaskAction action) {
        Map<String, String> labels = server.ownPool("pool-" + workspace + "-" + System.nanoTime());
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        TaskView view = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                        TaskView.class);
        var agent = server.registerAgentInPool("agent-" + workspace, labels.get("test"));
        PullResponse r = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(view.taskId());
        return new Claimed(agent, r.tasks().getFirst());
    }

    static ObjectNode state(long serial, String marker) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("version", 4)
                .put("terraform_version", "1.11.4")
                .put("serial", serial)
                .put("lineage", "lineage-rb");
        s.putObject("outputs");
        s.putArray("resources").addObject().put("name", marker);
        return s;
    }

    /** Applies {@code states} one by one, each by its own plan_apply, as Terraform would. */
    static void applied(String workspace, ObjectNode... states) {
        for (ObjectNode s : states) {
            Claimed c = claim(workspace, TaskAction.PLAN_APPLY);
            c.agent()
                    .job(c.task())
                    .put(
                            ApiPaths.fill(ApiPaths.TASK_STATE, c.task().taskId()),
                            new StateUpload(c.task().attempt(), s),
                            StateVersionView.class);
            c.post(
                    ApiPaths.TASK_RESULT,
                    new TaskResult(c.task().attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                    TaskView.class);
        }
    }

    static JsonNode version(String workspace, int n) throws Exception {
        return WireJson.lenient()
                .readTree(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, workspace) + "?version=" + n));
    }

    static void assertRefused(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).as(e.toString()).isEqualTo(status);
            assertThat(e.code()).as(e.toString()).isEqualTo(code);
        });
    }

    @Test
    void aRollbackWritesTheOldContentAsANewVersionWithAHigherSerial() throws Exception {
        applied("ws-rb", state(1, "first"), state(5, "second"));
        StateVersionView v3 = server.admin()
                .post(
                        ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, "ws-rb"),
                        new RollbackRequest(1),
                        StateVersionView.class);
        assertThat(v3.version()).isEqualTo(3);
        assertThat(v3.serial()).isEqualTo(6);
        assertThat(v3.rollbackOf()).isEqualTo(1);
        assertThat(v3.taskId()).isNull();
        JsonNode current =
                WireJson.lenient().readTree(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-rb")));
        assertThat(current.path("resources")).isEqualTo(version("ws-rb", 1).path("resources"));
        assertThat(current.path("serial").asLong()).isEqualTo(6);
        assertThat(version("ws-rb", 2).path("resources").toString()).contains("second");
    }

    static Stream<Arguments> refusedRollbacks() {
        return Stream.of(
                Arguments.of("no such version", new RollbackRequest(9), 404, "no_such_version"),
                Arguments.of("the current version", new RollbackRequest(2), 409, "already_current"),
                Arguments.of("version 0", new RollbackRequest(0), 400, "invalid_version"),
                Arguments.of("no version", new RollbackRequest(null), 400, "invalid_version"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedRollbacks")
    void aRollbackThatCannotBeIsRefusedAndChangesNothing(
            String name, RollbackRequest request, int status, String code) {
        String ws = "ws-rb-refused-" + name.replace(' ', '-');
        applied(ws, state(1, "first"), state(2, "second"));
        assertRefused(
                () -> server.admin()
                        .post(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, ws), request, StateVersionView.class),
                status,
                code);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, ws), JsonNode.class)
                        .path("versions"))
                .hasSize(2);
    }

    @Test
    void aRollbackWaitsForTheApplyHoldingTheWorkspace() {
        applied("ws-rb-locked", state(1, "first"), state(2, "second"));
        Claimed running = claim("ws-rb-locked", TaskAction.PLAN_APPLY);
        assertRefused(
                () -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, "ws-rb-locked"),
                                new RollbackRequest(1),
                                StateVersionView.class),
                409,
                "workspace_locked");
        running.post(
                ApiPaths.TASK_RESULT,
                new TaskResult(running.task().attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                TaskView.class);
        assertThat(server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, "ws-rb-locked"),
                                new RollbackRequest(1),
                                StateVersionView.class)
                        .version())
                .isEqualTo(3);
    }

    @Test
    void aVersionThatIsNotThereOrNotANumberIsAPreciseError() {
        applied("ws-rb-show", state(1, "first"));
        assertRefused(
                () -> server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-rb-show") + "?version=7"),
                404,
                "no_such_version");
        assertRefused(
                () -> server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-rb-show") + "?version=abc"),
                400,
                "invalid_version");
        assertRefused(
                () -> server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-rb-show") + "?version=0"),
                400,
                "invalid_version");
    }

    @Test
    void thePlanSummaryIsShownWithTheTaskAndAClaimOfANewAttemptClearsIt() {
        Claimed c = claim("ws-plan-summary", TaskAction.PLAN);
        PlanSummary summary = new PlanSummary(List.of("terraform_data.a"), List.of(), List.of("terraform_data.old"));
        c.post(ApiPaths.TASK_PLAN, new PlanReport(c.task().attempt(), summary), Void.class);
        TaskView view = server.admin().get(ApiPaths.fill(ApiPaths.TASK, c.task().taskId()), TaskView.class);
        assertThat(view.planSummary()).isEqualTo(summary);
        assertThat(view.planSummary().describe()).isEqualTo("1 to add, 0 to change, 1 to destroy");
    }

    static Stream<Arguments> badPlanReports() {
        return Stream.of(
                Arguments.of("no summary", null),
                Arguments.of("a missing list", new PlanSummary(List.of(), null, List.of())),
                Arguments.of("a blank address", new PlanSummary(List.of(" "), List.of(), List.of())),
                Arguments.of("an address too long", new PlanSummary(List.of("x".repeat(1_025)), List.of(), List.of())),
                Arguments.of(
                        "too many addresses",
                        new PlanSummary(Collections.nCopies(100_001, "a"), List.of(), List.of())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPlanReports")
    void aPlanReportThatIsNotASummaryIsRefused(String name, PlanSummary summary) {
        Claimed c = claim("ws-bad-plan-" + name.replace(' ', '-'), TaskAction.PLAN);
        assertRefused(
                () -> c.post(ApiPaths.TASK_PLAN, new PlanReport(c.task().attempt(), summary), Void.class),
                400,
                "invalid_plan_summary");
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, c.task().taskId()), TaskView.class)
                        .planSummary())
                .isNull();
    }

    @Test
    void aPlanReportOfAnotherAttemptIsRefused() {
        Claimed c = claim("ws-stale-plan", TaskAction.PLAN);
        assertRefused(
                () -> c.post(
                        ApiPaths.TASK_PLAN,
                        new PlanReport(c.task().attempt() + 1, new PlanSummary(List.of(), List.of(), List.of())),
                        Void.class),
                403,
                "forbidden");
        // The job token of a finished attempt still verifies, but the attempt is no longer current.
        c.post(
                ApiPaths.TASK_RESULT,
                new TaskResult(c.task().attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                TaskView.class);
        assertRefused(
                () -> c.post(
                        ApiPaths.TASK_PLAN,
                        new PlanReport(c.task().attempt(), new PlanSummary(List.of(), List.of(), List.of())),
                        Void.class),
                409,
                "stale_attempt");
    }
}
