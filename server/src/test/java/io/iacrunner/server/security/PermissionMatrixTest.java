package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenList;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint against every kind of caller. The expectation of each pair comes from this class's own reading of
 * the rules (what an endpoint needs, what a caller holds), not from the server's code: refusals must be the precise
 * status and change nothing; allowed calls must get past authorization (they may still be refused for their content).
 */
class PermissionMatrixTest {
    static final String WS = "ws-matrix";
    static final String OTHER_WS = "ws-matrix-other";

    /** What an endpoint needs. */
    enum Need { PUBLIC, READ, PLAN, APPLY, ADMIN, ANY_USER, GLOBAL_ADMIN, AGENT, JOB, POOL }

    /** {@code creates}: the call may create its workspace, so a caller without a role there gets 403, not 404. */
    record Endpoint(String name, String method, String path, String body, Need need, boolean creates) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A caller: its token, and what it holds. {@code role} applies to {@link #WS}; {@code kind} says what token it is. */
    record Caller(String name, String token, String kind, Role role) {
        @Override
        public String toString() {
            return name;
        }
    }

    static TestServer server;
    static RawHttp raw;
    static TaskAssignment apply;
    static List<Caller> callers;
    static List<Endpoint> endpoints;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Duration.ofSeconds(60)); // the simulated agents never ping
        raw = new RawHttp(server.baseUrl());
        var agent = server.registerAgent("matrix");
        apply = claim(agent, WS, TaskAction.PLAN_APPLY);
        var other = server.registerAgent("matrix-other");
        TaskAssignment otherTask = claim(other, OTHER_WS, TaskAction.PLAN);
        server.admin().put(ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, WS, "region"), new SetVariableRequest(TextNode.valueOf("eu"), false),
                VariableView.class);

        String read = server.userToken(Role.READ, WS);
        String revoked = server.userToken(Role.READ, WS);
        String revokedId = server.admin().get(ApiPaths.TOKENS, TokenList.class).tokens().getLast().tokenId();
        server.admin().post(ApiPaths.fill(ApiPaths.TOKEN_REVOKE, revokedId), Map.of(), Object.class);
        String expired = server.admin().post(ApiPaths.TOKENS, new CreateTokenRequest("expires", null, Map.of(WS, Role.ADMIN), null, 1L),
                TokenCreated.class).token();
        String agentToken = agent.registration().agentToken();
        callers = List.of(
                new Caller("no token", null, "none", null),
                new Caller("garbage", "garbage", "none", null),
                new Caller("agent token with a bad signature", agentToken.substring(0, agentToken.length() - 4)
                        + (agentToken.endsWith("AAAA") ? "BBBB" : "AAAA"), "none", null),
                new Caller("user token with a wrong secret", read.substring(0, read.length() - 4)
                        + (read.endsWith("AAAA") ? "BBBB" : "AAAA"), "none", null),
                new Caller("expired user token", expired, "none", null),
                new Caller("revoked user token", revoked, "none", null),
                new Caller("admin of another workspace", server.userToken(Role.ADMIN, OTHER_WS), "user", null),
                new Caller("read", read, "user", Role.READ),
                new Caller("plan", server.userToken(Role.PLAN, WS), "user", Role.PLAN),
                new Caller("apply", server.userToken(Role.APPLY, WS), "user", Role.APPLY),
                new Caller("workspace admin", server.userToken(Role.ADMIN, WS), "user", Role.ADMIN),
                new Caller("global admin", server.adminToken(), "global", Role.ADMIN),
                new Caller("pool token", server.poolToken(), "pool", null),
                new Caller("agent token", agentToken, "agent", null),
                new Caller("job token of another task", otherTask.jobToken(), "otherJob", null),
                new Caller("job token of the task", apply.jobToken(), "job", null));
        server.clock().advance(Duration.ofSeconds(2)); // the expiring token's second is over

        String task = apply.taskId();
        String tf = "{\"workspace_id\": \"" + WS + "\", \"action\": \"%s\", \"tf_json\": {\"resource\": {}}}";
        endpoints = List.of(
                new Endpoint("health", "GET", ApiPaths.HEALTH, null, Need.PUBLIC, false),
                new Endpoint("jwks", "GET", ApiPaths.JWKS, null, Need.PUBLIC, false),
                new Endpoint("whoami", "GET", ApiPaths.WHOAMI, null, Need.ANY_USER, false),
                new Endpoint("show task", "GET", ApiPaths.fill(ApiPaths.TASK, task), null, Need.READ, false),
                new Endpoint("log page", "GET", ApiPaths.fill(ApiPaths.TASK_LOGS, task), null, Need.READ, false),
                new Endpoint("log text", "GET", ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, task), null, Need.READ, false),
                new Endpoint("show workspace", "GET", ApiPaths.fill(ApiPaths.WORKSPACE, WS), null, Need.READ, false),
                new Endpoint("current state", "GET", ApiPaths.fill(ApiPaths.WORKSPACE_STATE, WS), null, Need.READ, false),
                new Endpoint("state versions", "GET", ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, WS), null, Need.READ, false),
                new Endpoint("queue a plan", "POST", ApiPaths.TASKS, tf.formatted("plan"), Need.PLAN, true),
                new Endpoint("queue a plan_apply", "POST", ApiPaths.TASKS, tf.formatted("plan_apply"), Need.APPLY, true),
                new Endpoint("cancel a plan_apply", "POST", ApiPaths.fill(ApiPaths.TASK_CANCEL, task), "{\"force\": false}", Need.APPLY, false),
                new Endpoint("list variables", "GET", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, WS), null, Need.ADMIN, false),
                new Endpoint("set a variable", "PUT", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, WS, "region"), "{\"value\": \"us\"}", Need.ADMIN, true),
                new Endpoint("delete a variable", "DELETE", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, WS, "nothing"), null, Need.ADMIN, false),
                new Endpoint("workspace settings", "PUT", ApiPaths.fill(ApiPaths.WORKSPACE, WS), "{\"terraform_version\": null}", Need.ADMIN, true),
                new Endpoint("unlock", "POST", ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, WS), "{\"force\": true}", Need.ADMIN, false),
                new Endpoint("rollback", "POST", ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, WS), "{\"to\": 1}", Need.ADMIN, false),
                new Endpoint("list agents", "GET", ApiPaths.AGENTS, null, Need.GLOBAL_ADMIN, false),
                new Endpoint("list pools", "GET", ApiPaths.POOLS, null, Need.GLOBAL_ADMIN, false),
                new Endpoint("show pool", "GET", ApiPaths.fill(ApiPaths.POOL, "default-pool"), null, Need.GLOBAL_ADMIN, false),
                new Endpoint("set pool", "PUT", ApiPaths.fill(ApiPaths.POOL, "default-pool"),
                        "{\"pool_id\": \"default-pool\", \"max_plan_concurrency\": 3, \"allow_apply_concurrent\": false, \"labels\": {}}",
                        Need.GLOBAL_ADMIN, false),
                new Endpoint("issue a pool token", "POST", ApiPaths.fill(ApiPaths.POOL_TOKENS, "default-pool"), "{}", Need.GLOBAL_ADMIN, false),
                new Endpoint("create a token", "POST", ApiPaths.TOKENS, "{\"workspaces\": {\"" + WS + "\": \"read\"}}", Need.GLOBAL_ADMIN, false),
                new Endpoint("list tokens", "GET", ApiPaths.TOKENS, null, Need.GLOBAL_ADMIN, false),
                new Endpoint("revoke a token", "POST", ApiPaths.fill(ApiPaths.TOKEN_REVOKE, "tok-0000000000000000"), "{}", Need.GLOBAL_ADMIN, false),
                new Endpoint("rotate the signing key", "POST", ApiPaths.SIGNING_KEY_ROTATE, "{}", Need.GLOBAL_ADMIN, false),
                new Endpoint("audit events", "GET", ApiPaths.AUDIT_EVENTS, null, Need.GLOBAL_ADMIN, false),
                new Endpoint("register an agent", "POST", ApiPaths.AGENT_REGISTER, "{\"name\": \"n\", \"version\": \"v\", \"hostname\": \"h\"}",
                        Need.POOL, false),
                new Endpoint("ping", "POST", ApiPaths.AGENT_PING, "{\"current_tasks\": [\"" + task + "\"]}", Need.AGENT, false),
                new Endpoint("pull", "POST", ApiPaths.TASK_PULL, "{\"free_plan_slots\": 0, \"can_take_apply\": false, \"wait_seconds\": 0}",
                        Need.AGENT, false),
                new Endpoint("job token", "POST", ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, task), "{\"attempt\": 1}", Need.AGENT, false),
                new Endpoint("phase", "POST", ApiPaths.fill(ApiPaths.TASK_PHASE, task), "{\"attempt\": 1, \"phase\": \"planning\"}", Need.JOB, false),
                new Endpoint("plan summary", "POST", ApiPaths.fill(ApiPaths.TASK_PLAN, task),
                        "{\"attempt\": 1, \"summary\": {\"add\": [], \"change\": [], \"destroy\": []}}", Need.JOB, false),
                new Endpoint("log upload", "POST", ApiPaths.fill(ApiPaths.TASK_LOGS, task), "{\"attempt\": 1, \"first_seq\": 0, \"lines\": []}",
                        Need.JOB, false),
                new Endpoint("state upload", "PUT", ApiPaths.fill(ApiPaths.TASK_STATE, task), "{\"attempt\": 1, \"state\": {\"version\": 4,"
                        + " \"serial\": 1, \"lineage\": \"l\", \"terraform_version\": \"1.11.4\", \"outputs\": {}, \"resources\": []}}", Need.JOB, false),
                new Endpoint("hand back", "POST", ApiPaths.fill(ApiPaths.TASK_HAND_BACK, task), "{\"attempt\": 1, \"reason\": \"full\"}",
                        Need.JOB, false),
                new Endpoint("result", "POST", ApiPaths.fill(ApiPaths.TASK_RESULT, task),
                        "{\"attempt\": 1, \"status\": \"succeeded\", \"exit_code\": 0, \"log_lines\": 0}", Need.JOB, false));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static TaskAssignment claim(TestServer.RegisteredAgent agent, String workspace, TaskAction action) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        Map<String, String> labels = server.ownPool("pool-" + workspace);
        var own = server.registerAgentInPool(agent.registration().agentId() + "-in-" + workspace, labels.get("test"));
        TaskView queued = server.admin().post(ApiPaths.TASKS, new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                TaskView.class);
        PullResponse r = own.client().post(ApiPaths.TASK_PULL, new PullRequest(own.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(queued.taskId());
        return r.tasks().getFirst();
    }

    /** The status this class expects, or 0 for "allowed": anything but an authorization refusal. */
    static int expected(Endpoint e, Caller c) {
        if (e.need() == Need.PUBLIC) return 0;
        if (c.kind().equals("none")) return 401;
        return switch (e.need()) {
            case PUBLIC -> 0;
            case POOL -> c.kind().equals("pool") ? 0 : 403;
            case AGENT -> c.kind().equals("agent") ? 0 : 403;
            case JOB -> c.kind().equals("job") ? 0 : 403;
            case GLOBAL_ADMIN -> c.kind().equals("global") ? 0 : 403;
            case ANY_USER -> c.kind().equals("user") || c.kind().equals("global") ? 0 : 403;
            case READ, PLAN, APPLY, ADMIN -> {
                if (c.kind().equals("global")) yield 0;
                if (!c.kind().equals("user")) yield 403;
                if (c.role() == null) yield e.creates() ? 403 : 404; // learns nothing about a workspace it may not see
                yield c.role().includes(Role.valueOf(e.need().name())) ? 0 : 403;
            }
        };
    }

    static Stream<Arguments> matrix() {
        List<Arguments> rows = new ArrayList<>();
        for (Endpoint e : endpoints) {
            for (Caller c : callers) rows.add(Arguments.of(e, c));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} by {1}")
    @MethodSource("matrix")
    void everyEndpointAnswersEveryCallerAsTheRulesSay(Endpoint e, Caller c) {
        int expected = expected(e, c);
        Map<String, String> before = expected == 0 ? null : snapshot();

        RawHttp.Reply reply = raw.send(e.method(), e.path(), c.token(), e.body());

        if (expected == 0) {
            assertThat(reply.status()).as(reply.body()).isNotIn(401, 403);
            if (reply.status() == 404) assertThat(reply.errorCode()).as(reply.body()).isNotIn("workspace_not_found", "task_not_found");
            return;
        }
        assertThat(reply.status()).as(reply.body()).isEqualTo(expected);
        assertThat(reply.errorCode()).isEqualTo(switch (expected) {
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            default -> e.path().contains("/tasks/") ? "task_not_found" : "workspace_not_found";
        });
        assertThat(snapshot()).as("nothing changed").isEqualTo(before);
    }

    /** A token with roles in one workspace sees its tasks only, and a workspace it may not see answers as absent. */
    @Test
    void aWorkspaceTokenListsOnlyItsWorkspacesTasks() {
        String otherAdmin = server.userToken(Role.ADMIN, OTHER_WS);
        RawHttp.Reply all = raw.send("GET", ApiPaths.TASKS, otherAdmin, (String) null);
        assertThat(all.json().path("tasks")).isNotEmpty()
                .allSatisfy(t -> assertThat(t.path("workspace_id").asText()).isEqualTo(OTHER_WS));
        RawHttp.Reply filtered = raw.send("GET", ApiPaths.TASKS + "?workspace=" + WS, otherAdmin, (String) null);
        assertThat(filtered.status()).isEqualTo(200);
        assertThat(filtered.json().path("tasks")).isEmpty();
        RawHttp.Reply never = raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, "never-created"), otherAdmin, (String) null);
        RawHttp.Reply hidden = raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, WS), otherAdmin, (String) null);
        assertThat(hidden.status()).isEqualTo(never.status()).isEqualTo(404);
        assertThat(hidden.errorCode()).isEqualTo(never.errorCode());
    }

    static Map<String, String> snapshot() {
        Map<String, String> s = Snapshots.of(raw, server, WS, apply.taskId());
        s.put("other workspace", raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, OTHER_WS), server.adminToken(), (String) null).body());
        return s;
    }
}
