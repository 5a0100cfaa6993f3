package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.JobToken;
import io.iacrunner.protocol.JobTokenRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The server's API with a simulated agent: claims, the log append rules, fencing, state rules, bad input. */
class ServerApiTest {
    static TestServer server;
    static RawHttp raw;

    @BeforeAll
    static void start() {
        // Its simulated agents never ping: a long lease keeps their attempts current however slow the machine.
        server = TestServer.start(Duration.ofSeconds(60));
        raw = new RawHttp(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static ObjectNode config() {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", "hello");
        return tf;
    }

    static TaskView queue(String workspace, TaskAction action) {
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, config(), null, null, null, null, null),
                        TaskView.class);
    }

    static TaskAssignment claimOne(TestServer.RegisteredAgent agent, String taskId) {
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(taskId);
        return pulled.tasks().getFirst();
    }

    static List<LogLine> lines(long from, int count) {
        List<LogLine> out = new ArrayList<>();
        for (long s = from; s < from + count; s++)
            out.add(new LogLine(s, Instant.now(), LogStream.STDOUT, "line " + s));
        return out;
    }

    static LogAck send(TestServer.RegisteredAgent agent, TaskAssignment t, long first, int count) {
        return agent.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                        new LogBatch(t.attempt(), first, lines(first, count)),
                        LogAck.class);
    }

    static List<String> storedLines(String taskId) {
        LogPage page = server.admin().get(ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + "?limit=10000", LogPage.class);
        return page.lines().stream().map(LogLine::line).toList();
    }

    @Test
    void duplicateOverlappingAndGappedBatchesKeepTheLogExactAndAnswerTheCommittedCount() {
        var agent = server.registerAgent("log-rules");
        TaskView task = queue("ws-logs", TaskAction.PLAN);
        TaskAssignment t = claimOne(agent, task.taskId());

        assertThat(send(agent, t, 0, 10).committedLines()).isEqualTo(10);
        assertThat(send(agent, t, 0, 10).committedLines()).as("exact duplicate").isEqualTo(10);
        assertThat(send(agent, t, 5, 10).committedLines()).as("overlap extends").isEqualTo(15);
        assertThatThrownBy(() -> send(agent, t, 20, 5))
                .as("gap refused")
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("log_gap");
                    assertThat(e.getMessage()).contains("resend from seq 15");
                });
        assertThat(send(agent, t, 15, 0).committedLines())
                .as("empty batch asks for the count")
                .isEqualTo(15);

        assertThat(storedLines(task.taskId()))
                .containsExactlyElementsOf(Stream.iterate(0, i -> i + 1)
                        .limit(15)
                        .map(i -> "line " + i)
                        .toList());
    }

    static Stream<Arguments> outOfOrderBatches() {
        return Stream.of(
                Arguments.of("swapped", 10L, List.of(10L, 12L, 11L)),
                Arguments.of("repeated", 10L, List.of(10L, 10L, 11L)),
                Arguments.of("skipping", 10L, List.of(10L, 11L, 13L)),
                Arguments.of("not starting at first_seq", 10L, List.of(11L, 12L, 13L)),
                Arguments.of("descending", 12L, List.of(12L, 11L, 10L)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfOrderBatches")
    void aBatchWhoseLinesAreOutOfOrderIsRefusedWholeAndChangesNothing(String name, long firstSeq, List<Long> seqs) {
        var agent = server.registerAgent("out-of-order");
        TaskView task = queue("ws-order-" + name.replace(' ', '-'), TaskAction.PLAN);
        TaskAssignment t = claimOne(agent, task.taskId());
        send(agent, t, 0, 10);
        List<LogLine> lines = seqs.stream()
                .map(seq -> new LogLine(seq, Instant.now(), LogStream.STDOUT, "line " + seq))
                .toList();

        assertThatThrownBy(() -> agent.job(t)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                                new LogBatch(t.attempt(), firstSeq, lines),
                                LogAck.class))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("non_contiguous_batch");
                });
        assertThat(storedLines(task.taskId())).as("nothing of it stored").hasSize(10);
        assertThat(send(agent, t, 10, 0).committedLines()).isEqualTo(10);
    }

    @Test
    void anOldBatchDeliveredAfterANewerOneIsSkippedAndAnsweredWithTheCommittedCount() {
        var agent = server.registerAgent("late-batch");
        TaskView task = queue("ws-late-batch", TaskAction.PLAN);
        TaskAssignment t = claimOne(agent, task.taskId());
        assertThat(send(agent, t, 0, 10).committedLines()).isEqualTo(10);
        assertThat(send(agent, t, 10, 10).committedLines()).isEqualTo(20);
        assertThat(send(agent, t, 0, 10).committedLines())
                .as("the first batch again, late")
                .isEqualTo(20);
        assertThat(send(agent, t, 5, 3).committedLines()).as("a part of it").isEqualTo(20);
        assertThat(storedLines(task.taskId()))
                .containsExactlyElementsOf(Stream.iterate(0, i -> i + 1)
                        .limit(20)
                        .map(i -> "line " + i)
                        .toList());
    }

    @Test
    void uploadsWithoutTheAttemptsJobTokenAreRefusedAndChangeNothing() {
        var owner = server.registerAgent("owner");
        var intruder = server.registerAgent("intruder");
        TaskView task = queue("ws-fence", TaskAction.PLAN_APPLY);
        TaskAssignment t = claimOne(owner, task.taskId());
        send(owner, t, 0, 3);

        // Another agent has only its agent token, which uploads nothing; nor does the owner's own agent token.
        assertThatThrownBy(() -> intruder.client()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                                new LogBatch(t.attempt(), 3, lines(3, 2)),
                                LogAck.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThatThrownBy(() -> owner.client()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                                new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, 3, null),
                                TaskView.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(403));
        // The job token speaks for its own attempt only.
        assertThatThrownBy(() -> owner.job(t)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()),
                                new LogBatch(t.attempt() + 1, 3, lines(3, 2)),
                                LogAck.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(403));
        // An intruder cannot get a job token for an attempt it does not run.
        assertThatThrownBy(() -> intruder.client()
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, t.taskId()),
                                new JobTokenRequest(t.attempt()),
                                JobToken.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("stale_attempt"));

        assertThat(storedLines(task.taskId())).hasSize(3);
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, task.taskId()), TaskView.class)
                        .status())
                .isEqualTo(TaskStatus.RUNNING);

        TaskView done = owner.job(t)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, 3, null),
                        TaskView.class);
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.logComplete()).isTrue();
        assertThatThrownBy(() -> send(owner, t, 3, 1))
                .as("no lines after the end")
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("stale_attempt"));
    }

    @Test
    void stateMustKeepLineageAndRaiseTheSerialAndPlansCannotWriteIt() {
        var agent = server.registerAgent("state");
        TaskView apply = queue("ws-state", TaskAction.PLAN_APPLY);
        TaskAssignment a = claimOne(agent, apply.taskId());
        String path = ApiPaths.fill(ApiPaths.TASK_STATE, a.taskId());
        StateVersionView first =
                agent.job(a).put(path, new StateUpload(a.attempt(), state(3, "lin-1")), StateVersionView.class);
        assertThat(agent.job(a).put(path, new StateUpload(a.attempt(), state(3, "lin-1")), StateVersionView.class))
                .as("the same upload again (a lost reply) is the same version")
                .isEqualTo(first);

        ObjectNode sameSerialOtherContent = state(3, "lin-1");
        sameSerialOtherContent
                .putObject("outputs")
                .putObject("x")
                .put("value", "changed")
                .put("type", "string");
        for (ObjectNode bad : List.of(sameSerialOtherContent, state(2, "lin-1"), state(9, "other-lineage"))) {
            assertThatThrownBy(() -> agent.job(a).put(path, new StateUpload(a.attempt(), bad), Object.class))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.code()).isEqualTo("state_conflict");
                    });
        }
        agent.job(a).put(path, new StateUpload(a.attempt(), state(4, "lin-1")), Object.class);
        assertThat(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-state")))
                .contains("\"serial\":4");

        agent.job(a)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, a.taskId()),
                        new TaskResult(a.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                        TaskView.class);
        TaskView plan = queue("ws-state", TaskAction.PLAN);
        TaskAssignment p = claimOne(agent, plan.taskId());
        assertThatThrownBy(() -> agent.job(p)
                        .put(
                                ApiPaths.fill(ApiPaths.TASK_STATE, p.taskId()),
                                new StateUpload(p.attempt(), state(5, "lin-1")),
                                Object.class))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("plan_cannot_change_state"));
        assertThat(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "ws-state")))
                .contains("\"serial\":4");
    }

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

    @Test
    void pullNeverHandsOutMoreThanTheFreeSlotsOrAnApplyBesidePlans() {
        var agent = server.registerAgent("capacity");
        // Drain anything other tests left queued, so this test sees only its own tasks.
        agent.client().post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 0, false, 0), PullResponse.class);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++)
            ids.add(queue("ws-cap-" + i, TaskAction.PLAN).taskId());
        String apply = queue("ws-cap-apply", TaskAction.PLAN_APPLY).taskId();

        PullResponse first = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 2, true, 0), PullResponse.class);
        assertThat(first.tasks()).extracting(TaskAssignment::taskId).containsExactly(ids.get(0), ids.get(1));
        PullResponse second = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 5, true, 0), PullResponse.class);
        assertThat(second.tasks())
                .as("pool limit 3 counts the two running plans")
                .extracting(TaskAssignment::taskId)
                .containsExactly(ids.get(2));
        var other = server.registerAgent("other");
        PullResponse third = other.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(other.agentId(), 3, true, 0), PullResponse.class);
        assertThat(third.tasks()).extracting(TaskAssignment::taskId).containsExactly(ids.get(3));
        PullResponse fourth = other.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(other.agentId(), 2, true, 0), PullResponse.class);
        assertThat(fourth.tasks()).as("no apply beside a running plan").isEmpty();
        var idle = server.registerAgent("idle");
        PullResponse fifth =
                idle.client().post(ApiPaths.TASK_PULL, new PullRequest(idle.agentId(), 3, true, 0), PullResponse.class);
        assertThat(fifth.tasks()).extracting(TaskAssignment::taskId).containsExactly(apply);
    }

    @Test
    void longPollReturnsAsSoonAsATaskIsQueued() throws Exception {
        var agent = server.registerAgent("long-poll");
        agent.client().post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 3, true, 0), PullResponse.class);
        var pulled = java.util.concurrent.CompletableFuture.supplyAsync(() -> agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 1, false, 20),
                        PullResponse.class,
                        java.time.Duration.ofSeconds(40)));
        server.awaitWaitingPulls(1);
        assertThat(pulled).isNotDone();
        TaskView task = queue("ws-long-poll", TaskAction.PLAN);
        PullResponse response = pulled.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(response.tasks()).extracting(TaskAssignment::taskId).containsExactly(task.taskId());
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of(
                        "malformed JSON",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": ",
                        400,
                        "malformed_json"),
                Arguments.of(
                        "wrong type",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": 5, \"tf_json\": {}}",
                        400,
                        "invalid_field"),
                Arguments.of(
                        "unknown action",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": \"destroy\", \"tf_json\": {\"a\":1}}",
                        400,
                        "invalid_field"),
                Arguments.of(
                        "unknown field",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": \"plan\", \"tf_json\": {\"a\":1}, \"x\": 1}",
                        400,
                        "unknown_field"),
                Arguments.of(
                        "missing tf_json",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": \"plan\"}",
                        400,
                        "missing_tf_json"),
                Arguments.of(
                        "tf_json not an object",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": \"plan\", \"tf_json\": \"{}\"}",
                        400,
                        "invalid_field"),
                Arguments.of(
                        "workspace with path characters",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"../etc\", \"action\": \"plan\", \"tf_json\": {\"a\":1}}",
                        400,
                        "invalid_workspace_id"),
                Arguments.of("empty body", "POST", ApiPaths.TASKS, "admin", "", 400, "missing_body"),
                Arguments.of(
                        "deeply nested",
                        "POST",
                        ApiPaths.TASKS,
                        "admin",
                        "{\"workspace_id\": \"w\", \"action\": \"plan\", \"tf_json\": " + "{\"a\":".repeat(300) + "1"
                                + "}".repeat(301),
                        400,
                        "too_deep"),
                Arguments.of("missing token", "POST", ApiPaths.TASKS, null, "{}", 401, "unauthorized"),
                Arguments.of("garbage token", "GET", ApiPaths.TASKS, "not-a-jwt", null, 401, "unauthorized"),
                Arguments.of("pool token on a user endpoint", "GET", ApiPaths.TASKS, "pool", null, 403, "forbidden"),
                Arguments.of(
                        "admin token on an agent endpoint",
                        "POST",
                        ApiPaths.AGENT_PING,
                        "admin",
                        "{}",
                        403,
                        "forbidden"),
                Arguments.of(
                        "unknown task",
                        "GET",
                        ApiPaths.fill(ApiPaths.TASK, "t-0000000000000000"),
                        "admin",
                        null,
                        404,
                        "task_not_found"),
                Arguments.of(
                        "malformed task id",
                        "GET",
                        ApiPaths.PREFIX + "/tasks/..%2f..%2fetc",
                        "admin",
                        null,
                        400,
                        "invalid_task_id"),
                Arguments.of(
                        "bad offset",
                        "GET",
                        ApiPaths.fill(ApiPaths.TASK_LOGS, "t-0000000000000000") + "?offset=x",
                        "admin",
                        null,
                        404,
                        "task_not_found"),
                Arguments.of("unknown endpoint", "GET", ApiPaths.PREFIX + "/nope", "admin", null, 404, "not_found"),
                Arguments.of(
                        "state of unknown workspace",
                        "GET",
                        ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "never-seen"),
                        "admin",
                        null,
                        404,
                        "workspace_not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputGetsAPreciseErrorAndChangesNothing(
            String name, String method, String path, String who, String body, int status, String code) {
        int before = server.admin()
                .get(ApiPaths.TASKS + "?limit=1000", TaskList.class)
                .tasks()
                .size();
        String token = who == null
                ? null
                : switch (who) {
                    case "admin" -> server.adminToken();
                    case "pool" -> server.poolToken();
                    default -> who;
                };
        RawHttp.Reply reply = raw.send(method, path, token, body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
        assertThat(reply.json().path("error").path("message").asText()).isNotBlank();
        assertThat(server.admin()
                        .get(ApiPaths.TASKS + "?limit=1000", TaskList.class)
                        .tasks())
                .hasSize(before);
    }

    @Test
    void invalidUtf8IsRefusedAsMalformed() {
        byte[] prefix = "{\"workspace_id\": \"w\", \"action\": \"plan\", \"tf_json\": {\"a\": \"".getBytes();
        byte[] suffix = "\"}}".getBytes();
        byte[] body = new byte[prefix.length + 2 + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC3; // a lead byte followed by ASCII: not UTF-8
        body[prefix.length + 1] = (byte) 0x28;
        System.arraycopy(suffix, 0, body, prefix.length + 2, suffix.length);
        RawHttp.Reply reply = raw.send("POST", ApiPaths.TASKS, server.adminToken(), body);
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.errorCode()).isEqualTo("malformed_json");
    }
}
