package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.web.HttpApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of hostile requests against every endpoint that takes input and both WebSockets: each is refused with its
 * precise status and code (or WebSocket close code) and an error body, changes nothing, and leaves the server serving.
 * Every request carries a credential that may call the endpoint, so what is tested is the input, not the token.
 */
class HostileInputTest {
    static final String WS = "ws-hostile";

    static TestServer server;
    static RawHttp raw;
    static TaskAssignment running;
    static TaskAssignment finished;
    static String agentToken;

    /** One endpoint that reads a JSON body, and who may call it. */
    record Target(String name, String method, String path, Supplier<String> token) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60)); // the simulated agents never ping
        raw = new RawHttp(server.baseUrl());
        var agent = server.registerAgent("hostile");
        agentToken = agent.registration().agentToken();
        finished = claim(agent, TaskAction.PLAN);
        agent.job(finished)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, finished.taskId()),
                        new TaskResult(finished.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                        TaskView.class);
        running = claim(agent, TaskAction.PLAN_APPLY);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static TaskAssignment claim(TestServer.RegisteredAgent agent, TaskAction action) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        TaskView queued = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(WS, action, tf, null, null, null, null, null),
                        TaskView.class);
        PullResponse r = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(queued.taskId());
        return r.tasks().getFirst();
    }

    static List<Target> targets() {
        Supplier<String> admin = () -> server.adminToken();
        Supplier<String> pool = () -> server.poolToken();
        Supplier<String> agent = () -> agentToken;
        Supplier<String> job = () -> running.jobToken();
        String task = "t-hostile0000000"; // replaced below: the running task's id is known only after start
        return List.of(
                new Target("queue a task", "POST", ApiPaths.TASKS, admin),
                new Target("set a variable", "PUT", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, WS, "v"), admin),
                new Target("workspace settings", "PUT", ApiPaths.fill(ApiPaths.WORKSPACE, WS), admin),
                new Target("create a token", "POST", ApiPaths.TOKENS, admin),
                new Target("set a pool", "PUT", ApiPaths.fill(ApiPaths.POOL, "hostile-pool"), admin),
                new Target("cancel", "POST", ApiPaths.fill(ApiPaths.TASK_CANCEL, task), admin),
                new Target("unlock", "POST", ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, WS), admin),
                new Target("rollback", "POST", ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, WS), admin),
                new Target("register", "POST", ApiPaths.AGENT_REGISTER, pool),
                new Target("ping", "POST", ApiPaths.AGENT_PING, agent),
                new Target("pull", "POST", ApiPaths.TASK_PULL, agent),
                new Target("job token", "POST", ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, task), agent),
                new Target("phase", "POST", ApiPaths.fill(ApiPaths.TASK_PHASE, task), job),
                new Target("plan summary", "POST", ApiPaths.fill(ApiPaths.TASK_PLAN, task), job),
                new Target("log upload", "POST", ApiPaths.fill(ApiPaths.TASK_LOGS, task), job),
                new Target("state upload", "PUT", ApiPaths.fill(ApiPaths.TASK_STATE, task), job),
                new Target("result", "POST", ApiPaths.fill(ApiPaths.TASK_RESULT, task), job),
                new Target("hand back", "POST", ApiPaths.fill(ApiPaths.TASK_HAND_BACK, task), job),
                new Target(
                        "choose a pool's workspaces",
                        "PUT",
                        ApiPaths.fill(ApiPaths.POOL_GRANTS, "default-pool"),
                        admin),
                new Target("create an organisation", "POST", ApiPaths.ORGS, admin),
                new Target("organisation settings", "PUT", ApiPaths.fill(ApiPaths.ORG, OrgNames.DEFAULT), admin),
                new Target("create a user", "POST", ApiPaths.fill(ApiPaths.ORG_USERS, OrgNames.DEFAULT), admin),
                new Target("create a team", "POST", ApiPaths.fill(ApiPaths.ORG_TEAMS, OrgNames.DEFAULT), admin),
                new Target(
                        "add a team member",
                        "POST",
                        ApiPaths.fill(ApiPaths.ORG_TEAM_MEMBERS, OrgNames.DEFAULT, "hostile-team"),
                        admin),
                new Target(
                        "grant a team a role",
                        "POST",
                        ApiPaths.fill(ApiPaths.ORG_TEAM_GRANTS, OrgNames.DEFAULT, "hostile-team"),
                        admin),
                new Target("share a pool", "POST", ApiPaths.fill(ApiPaths.POOL_SHARES, "default-pool"), admin));
    }

    static byte[] invalidUtf8() {
        byte[] body = "{\"x\": \"..\"}".getBytes(StandardCharsets.US_ASCII);
        body[7] = (byte) 0xC3; // a lead byte followed by ASCII: not UTF-8
        body[8] = (byte) 0x28;
        return body;
    }

    static Stream<Arguments> hostileBodies() {
        List<Arguments> cases = new ArrayList<>();
        for (Target t : targets()) {
            cases.add(Arguments.of(
                    t, "malformed JSON", "{\"a\": ".getBytes(StandardCharsets.UTF_8), 400, "malformed_json"));
            cases.add(Arguments.of(
                    t, "an array, not an object", "[1, 2]".getBytes(StandardCharsets.UTF_8), 400, "invalid_field"));
            cases.add(Arguments.of(t, "invalid UTF-8", invalidUtf8(), 400, "malformed_json"));
            cases.add(Arguments.of(t, "no body", new byte[0], 400, "missing_body"));
            cases.add(Arguments.of(
                    t,
                    "an unknown field",
                    "{\"zzz_unknown\": 1}".getBytes(StandardCharsets.UTF_8),
                    400,
                    "unknown_field"));
            cases.add(Arguments.of(
                    t, "trailing garbage", "{} {}".getBytes(StandardCharsets.UTF_8), 400, "malformed_json"));
        }
        String deep = "[".repeat(300) + "]".repeat(300);
        cases.add(Arguments.of(
                targets().get(0),
                "tf_json nested 300 deep",
                ("{\"workspace_id\": \"" + WS + "\", \"action\": \"plan\", \"tf_json\": {\"a\": " + deep + "}}")
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "too_deep"));
        cases.add(Arguments.of(
                targets().get(1),
                "a value nested 300 deep",
                ("{\"value\": " + deep + "}").getBytes(StandardCharsets.UTF_8),
                400,
                "too_deep"));
        cases.add(Arguments.of(
                targets().get(15),
                "a state nested 300 deep",
                ("{\"attempt\": 1, \"state\": {\"a\": " + deep + "}}").getBytes(StandardCharsets.UTF_8),
                400,
                "too_deep"));
        cases.add(Arguments.of(
                targets().get(0), "a body over 16 MiB", new byte[17 * 1024 * 1024], 413, "body_too_large"));
        cases.add(Arguments.of(
                targets().get(0),
                "a workspace id with path characters",
                "{\"workspace_id\": \"../etc\", \"action\": \"plan\", \"tf_json\": {\"resource\": {}}}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_workspace_id"));
        cases.add(Arguments.of(
                targets().get(0),
                "an action that does not exist",
                ("{\"workspace_id\": \"" + WS + "\", \"action\": \"destroy\", \"tf_json\": {\"resource\": {}}}")
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        cases.add(Arguments.of(
                targets().get(3),
                "a role that does not exist",
                ("{\"workspaces\": {\"" + WS + "\": \"owner\"}}").getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        cases.add(Arguments.of(
                targets().get(3),
                "a token that may do nothing",
                "{\"description\": \"x\"}".getBytes(StandardCharsets.UTF_8),
                400,
                "token_without_rights"));
        cases.add(Arguments.of(
                targets().get(8),
                "an isolation that does not exist",
                "{\"name\": \"n\", \"version\": \"v\", \"hostname\": \"h\", \"isolation\": \"chroot\"}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        cases.add(Arguments.of(
                targets().get(9),
                "a ping with an isolation that does not exist",
                "{\"current_tasks\": [], \"isolation\": \"off\"}".getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        cases.add(Arguments.of(
                targets().get(2),
                "a max_run_time that is not a duration",
                "{\"terraform_version\": null, \"max_run_time\": \"2 hours\"}".getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_max_run_time"));
        cases.add(Arguments.of(
                targets().get(2),
                "a max_run_time as a number",
                "{\"max_run_time\": 7200}".getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_max_run_time"));
        cases.add(Arguments.of(
                targets().get(4),
                "a pool max_run_time over 720h",
                "{\"pool_id\": \"hostile-pool\", \"max_plan_concurrency\": 1, \"allow_apply_concurrent\": false, \"labels\": {}, \"max_run_time\": \"721h\"}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_max_run_time"));
        cases.add(Arguments.of(
                targets().get(10),
                "a pull that accepts no action",
                "{\"free_plan_slots\": 1, \"can_take_apply\": true, \"wait_seconds\": 0, \"accept\": []}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_accept"));
        cases.add(Arguments.of(
                targets().get(10),
                "a pull that accepts an action that does not exist",
                "{\"free_plan_slots\": 1, \"can_take_apply\": true, \"wait_seconds\": 0, \"accept\": [\"destroy\"]}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        cases.add(Arguments.of(
                targets().get(17),
                "a hand-back without a reason",
                "{\"attempt\": 1}".getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_reason"));
        cases.add(Arguments.of(
                targets().get(17),
                "a hand-back with a reason over 1,000 characters",
                ("{\"attempt\": 1, \"reason\": \"" + "x".repeat(1001) + "\"}").getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_reason"));
        cases.add(Arguments.of(
                targets().get(14),
                "a log batch that skips ahead (out of order)",
                "{\"attempt\": 1, \"first_seq\": 50, \"lines\": [{\"seq\": 50, \"ts\": \"2026-01-01T00:00:00Z\", \"stream\": \"stdout\", \"line\": \"x\"}]}"
                        .getBytes(StandardCharsets.UTF_8),
                409,
                "log_gap"));
        cases.add(Arguments.of(
                targets().get(14),
                "a log line numbered out of sequence",
                "{\"attempt\": 1, \"first_seq\": 0, \"lines\": [{\"seq\": 5, \"ts\": \"2026-01-01T00:00:00Z\", \"stream\": \"stdout\", \"line\": \"x\"}]}"
                        .getBytes(StandardCharsets.UTF_8),
                400,
                "non_contiguous_batch"));
        Target createOrg = targets().get(19);
        cases.add(Arguments.of(
                createOrg,
                "an organisation name with path characters",
                "{\"org_id\": \"../etc\"}".getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_org"));
        cases.add(Arguments.of(
                targets().get(20),
                "organisation settings naming another organisation",
                "{\"org_id\": \"elsewhere\", \"weight\": 2}".getBytes(StandardCharsets.UTF_8),
                400,
                "org_id_mismatch"));
        cases.add(Arguments.of(
                targets().get(20),
                "an organisation weight of 0",
                ("{\"org_id\": \"" + OrgNames.DEFAULT + "\", \"weight\": 0}").getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_weight"));
        cases.add(Arguments.of(
                targets().get(24),
                "a team grant of a role that does not exist",
                ("{\"workspace\": \"" + WS + "\", \"role\": \"owner\"}").getBytes(StandardCharsets.UTF_8),
                400,
                "invalid_field"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("hostileBodies")
    void aHostileBodyIsRefusedPreciselyAndChangesNothing(
            Target target, String what, byte[] body, int status, String code) {
        String path = target.path().replace("t-hostile0000000", running.taskId());
        Map<String, String> before = Snapshots.of(raw, server, WS, running.taskId());

        RawHttp.Reply reply = raw.send(target.method(), path, target.token().get(), body);

        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
        assertThat(reply.json().path("error").path("message").asText()).isNotBlank();
        assertThat(Snapshots.of(raw, server, WS, running.taskId()))
                .as("nothing changed")
                .isEqualTo(before);
        assertThat(raw.send("GET", ApiPaths.HEALTH, null, (String) null).status())
                .as("still serving")
                .isEqualTo(200);
    }

    @Test
    void aBodyOverTheLimitIsRefusedWithAnErrorNamingTheLimitWhetherItsLengthIsDeclaredOrNot() throws Exception {
        byte[] body = new byte[(int) HttpApi.MAX_BODY_BYTES + 1];
        java.util.Arrays.fill(body, (byte) ' ');
        HttpClient http = HttpClient.newHttpClient();
        for (HttpRequest.BodyPublisher publisher : List.of(
                HttpRequest.BodyPublishers.ofByteArray(body),
                // Chunked: the size is only found out while reading.
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))) {
            HttpResponse<String> reply = http.send(
                    HttpRequest.newBuilder(server.baseUrl().resolve(ApiPaths.TASKS))
                            .header("Authorization", "Bearer " + server.adminToken())
                            .header("Content-Type", "application/json")
                            .POST(publisher)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(reply.statusCode()).as(reply.body()).isEqualTo(413);
            assertThat(reply.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
            var error = io.iacrunner.protocol.WireJson.lenient()
                    .readTree(reply.body())
                    .path("error");
            assertThat(error.path("code").asText()).isEqualTo("body_too_large");
            assertThat(error.path("message").asText())
                    .isEqualTo("the request body is over the server's limit of 16 MiB (16777216 bytes)");
        }
    }

    static Stream<Arguments> hostileIds() {
        return Stream.of(
                Arguments.of(
                        "a task id with path characters",
                        "GET",
                        ApiPaths.PREFIX + "/tasks/..%2f..%2fetc%2fpasswd",
                        400,
                        "invalid_task_id"),
                Arguments.of(
                        "a task id far too long",
                        "GET",
                        ApiPaths.PREFIX + "/tasks/t-" + "a".repeat(5000),
                        400,
                        "invalid_task_id"),
                Arguments.of(
                        "a task id in another alphabet",
                        "GET",
                        ApiPaths.PREFIX + "/tasks/t-%D0%B0%D0%B1%D0%B2",
                        400,
                        "invalid_task_id"),
                Arguments.of(
                        "a workspace id with a NUL (refused by Jetty itself)",
                        "GET",
                        ApiPaths.PREFIX + "/workspaces/ws%00x",
                        400,
                        "bad_request"),
                Arguments.of(
                        "a workspace id with path characters",
                        "GET",
                        ApiPaths.PREFIX + "/workspaces/..%2f..",
                        400,
                        "invalid_workspace_id"),
                Arguments.of(
                        "a variable name with path characters",
                        "DELETE",
                        ApiPaths.PREFIX + "/workspaces/" + WS + "/variables/..%2fx",
                        400,
                        "invalid_variable_name"),
                Arguments.of("a pool id with spaces", "PUT", ApiPaths.PREFIX + "/pools/a%20b", 400, "invalid_pool_id"),
                Arguments.of(
                        "a token id that is not one",
                        "POST",
                        ApiPaths.PREFIX + "/tokens/..%2f/revoke",
                        400,
                        "invalid_token_id"),
                Arguments.of(
                        "a negative log offset",
                        "GET",
                        ApiPaths.PREFIX + "/tasks/t-0000000000000000/logs?offset=-1",
                        404,
                        "task_not_found"),
                Arguments.of(
                        "a limit that is not a number", "GET", ApiPaths.TASKS + "?limit=1e9", 400, "invalid_limit"),
                Arguments.of("a limit far too high", "GET", ApiPaths.TASKS + "?limit=100000", 400, "invalid_limit"),
                Arguments.of("an audit limit of zero", "GET", ApiPaths.AUDIT_EVENTS + "?limit=0", 400, "invalid_limit"),
                Arguments.of(
                        "a state version that is not a number",
                        "GET",
                        ApiPaths.fill(ApiPaths.WORKSPACE_STATE, WS) + "?version=x",
                        400,
                        "invalid_version"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileIds")
    void aHostileIdOrParameterIsRefusedPrecisely(String what, String method, String path, int status, String code) {
        Map<String, String> before = Snapshots.of(raw, server, WS, running.taskId());
        String body = switch (method) {
            case "PUT" ->
                "{\"pool_id\": \"a b\", \"max_plan_concurrency\": 1, \"allow_apply_concurrent\": false, \"labels\": {}}";
            case "POST" -> "{}";
            default -> null;
        };
        RawHttp.Reply reply = raw.send(method, path, server.adminToken(), body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
        assertThat(Snapshots.of(raw, server, WS, running.taskId())).isEqualTo(before);
    }

    /** A job token keeps verifying after its attempt ended; replaying it must still change nothing. */
    @ParameterizedTest(name = "replayed job token: {0}")
    @MethodSource("replays")
    void aReplayedJobTokenOfAFinishedAttemptIsStale(String what, String method, String template, String body) {
        Map<String, String> before = Snapshots.of(raw, server, WS, running.taskId());
        RawHttp.Reply reply = raw.send(method, ApiPaths.fill(template, finished.taskId()), finished.jobToken(), body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(409);
        assertThat(reply.errorCode()).isEqualTo("stale_attempt");
        assertThat(Snapshots.of(raw, server, WS, running.taskId())).isEqualTo(before);
    }

    static Stream<Arguments> replays() {
        return Stream.of(
                Arguments.of("phase", "POST", ApiPaths.TASK_PHASE, "{\"attempt\": 1, \"phase\": \"applying\"}"),
                Arguments.of(
                        "log",
                        "POST",
                        ApiPaths.TASK_LOGS,
                        "{\"attempt\": 1, \"first_seq\": 0, \"lines\": [{\"seq\": 0, \"ts\":"
                                + " \"2026-01-01T00:00:00Z\", \"stream\": \"stdout\", \"line\": \"late\"}]}"),
                Arguments.of(
                        "plan summary",
                        "POST",
                        ApiPaths.TASK_PLAN,
                        "{\"attempt\": 1, \"summary\": {\"add\": [], \"change\": [], \"destroy\": []}}"),
                Arguments.of(
                        "other result",
                        "POST",
                        ApiPaths.TASK_RESULT,
                        "{\"attempt\": 1, \"status\": \"failed\", \"exit_code\": 1, \"log_lines\": 0}"),
                Arguments.of(
                        "hand back", "POST", ApiPaths.TASK_HAND_BACK, "{\"attempt\": 1, \"reason\": \"replayed\"}"));
    }

    static WsFrames open(String pathAndQuery, String token, String... frames) throws Exception {
        WsFrames socket = new WsFrames();
        var builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) builder.header("Authorization", "Bearer " + token);
        WebSocket ws = builder.buildAsync(
                        URI.create("ws://" + server.baseUrl().getRawAuthority() + pathAndQuery), socket)
                .get(10, TimeUnit.SECONDS);
        for (String frame : frames) ws.sendText(frame, true).get(10, TimeUnit.SECONDS);
        return socket;
    }

    static Stream<Arguments> hostileSockets() {
        String viewer = ApiPaths.WS_VIEWER + "?task_id=";
        String upload = ApiPaths.WS_AGENT_LOGS + "?task_id=";
        String bigLine = "x".repeat(17 * 1024 * 1024);
        return Stream.of(
                Arguments.of(
                        "viewer without a token",
                        (Supplier<String>) () -> viewer + running.taskId(),
                        (Supplier<String>) () -> null,
                        List.<String>of(),
                        4401,
                        "unauthorized"),
                Arguments.of(
                        "viewer with a garbage token",
                        (Supplier<String>) () -> viewer + running.taskId(),
                        (Supplier<String>) () -> "garbage",
                        List.<String>of(),
                        4401,
                        "unauthorized"),
                Arguments.of(
                        "viewer of another workspace",
                        (Supplier<String>) () -> viewer + running.taskId(),
                        (Supplier<String>) () -> server.userToken(Role.ADMIN, "ws-elsewhere"),
                        List.<String>of(),
                        4404,
                        "task_not_found"),
                Arguments.of(
                        "viewer without task_id",
                        (Supplier<String>) () -> ApiPaths.WS_VIEWER,
                        (Supplier<String>) () -> server.adminToken(),
                        List.<String>of(),
                        4400,
                        "missing_task_id"),
                Arguments.of(
                        "viewer with a path in task_id",
                        (Supplier<String>) () -> viewer + "..%2f..",
                        (Supplier<String>) () -> server.adminToken(),
                        List.<String>of(),
                        4400,
                        "invalid_task_id"),
                Arguments.of(
                        "viewer with a negative offset",
                        (Supplier<String>) () -> viewer + running.taskId() + "&offset=-5",
                        (Supplier<String>) () -> server.adminToken(),
                        List.<String>of(),
                        4400,
                        "invalid_offset"),
                Arguments.of(
                        "upload with the agent token",
                        (Supplier<String>) () -> upload + running.taskId(),
                        (Supplier<String>) () -> agentToken,
                        List.<String>of(),
                        4403,
                        "forbidden"),
                Arguments.of(
                        "upload with another task's job token",
                        (Supplier<String>) () -> upload + running.taskId(),
                        (Supplier<String>) () -> finished.jobToken(),
                        List.<String>of(),
                        4403,
                        "forbidden"),
                Arguments.of(
                        "upload of a malformed frame",
                        (Supplier<String>) () -> upload + running.taskId(),
                        (Supplier<String>) () -> running.jobToken(),
                        List.of("{\"attempt\": "),
                        4400,
                        "malformed_json"),
                Arguments.of(
                        "upload of a frame for another attempt",
                        (Supplier<String>) () -> upload + running.taskId() + "&attempt=1",
                        (Supplier<String>) () -> running.jobToken(),
                        List.of("{\"attempt\": 2, \"first_seq\": 0, \"lines\": []}"),
                        4400,
                        "attempt_mismatch"),
                Arguments.of(
                        "upload of a frame that skips ahead",
                        (Supplier<String>) () -> upload + running.taskId(),
                        (Supplier<String>) () -> running.jobToken(),
                        List.of("{\"attempt\": 1, \"first_seq\": 9, \"lines\": [{\"seq\": 9, \"ts\":"
                                + " \"2026-01-01T00:00:00Z\", \"stream\": \"stdout\", \"line\": \"x\"}]}"),
                        4409,
                        "log_gap"),
                Arguments.of(
                        "upload of a frame over 16 MiB",
                        (Supplier<String>) () -> upload + running.taskId(),
                        (Supplier<String>) () -> running.jobToken(),
                        List.of("{\"attempt\": 1, \"first_seq\": 0, \"lines\": [{\"seq\": 0, \"ts\":"
                                + " \"2026-01-01T00:00:00Z\", \"stream\": \"stdout\", \"line\": \"" + bigLine
                                + "\"}]}"),
                        1009,
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileSockets")
    void aHostileWebSocketIsClosedWithItsCodeAndChangesNothing(
            String what,
            Supplier<String> path,
            Supplier<String> token,
            List<String> frames,
            int closeCode,
            String errorCode)
            throws Exception {
        String credential = token.get(); // may create a token: before the snapshot
        Map<String, String> before = Snapshots.of(raw, server, WS, running.taskId());
        WsFrames socket;
        try {
            socket = open(path.get(), credential, frames.toArray(String[]::new));
        } catch (java.util.concurrent.ExecutionException e) {
            // The server may close before the client finished sending a frame it refuses to read.
            assertThat(closeCode)
                    .as("only an oversized frame may break the send: " + e)
                    .isEqualTo(1009);
            assertThat(Snapshots.of(raw, server, WS, running.taskId())).isEqualTo(before);
            return;
        }
        assertThat(socket.closed.get(20, TimeUnit.SECONDS)).as(socket.all()).isEqualTo(closeCode);
        if (errorCode != null) assertThat(socket.all()).contains("\"code\":\"" + errorCode + "\"");
        assertThat(Snapshots.of(raw, server, WS, running.taskId()))
                .as("nothing changed")
                .isEqualTo(before);
        assertThat(raw.send("GET", ApiPaths.HEALTH, null, (String) null).status())
                .as("still serving")
                .isEqualTo(200);
    }
}
