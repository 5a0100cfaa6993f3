package io.iacrunner.server.variables;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.VariableList;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.RawBytes;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Workspace variables and settings over the real API, and what a queued task takes from them. */
class WorkspaceVariablesTest {
    static final String SECRET = "s3cr3t-WorkspaceVariablesTest-7f2c9a";
    static final String TASK_SECRET = "t4sk-s3cr3t-WorkspaceVariablesTest-e81b";
    static final String PLAIN_MARKER = "plain-marker-WorkspaceVariablesTest-5d3e";

    static TestServer server;
    static RawHttp raw;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60)); // the simulated agents never ping
        raw = new RawHttp(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static VariableView set(String workspace, String name, String value, boolean sensitive) {
        return server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, workspace, name),
                        new SetVariableRequest(TextNode.valueOf(value), sensitive),
                        VariableView.class);
    }

    static List<VariableView> list(String workspace) {
        return server.admin()
                .get(ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, workspace), VariableList.class)
                .variables();
    }

    static TaskAssignment queueAndClaim(
            String workspace, ObjectNode variables, List<String> sensitive, String version) {
        Map<String, String> labels = server.ownPool("pool-" + workspace + "-" + System.nanoTime());
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        TaskView view = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                workspace, TaskAction.PLAN, tf, variables, version, labels, sensitive, null),
                        TaskView.class);
        var agent = server.registerAgentInPool("agent-" + workspace, labels.get("test"));
        PullResponse r = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(view.taskId());
        return r.tasks().getFirst();
    }

    @Test
    void aSensitiveValueIsStoredButNeverShownWhileAPlainOneIs() {
        RawHttp.Reply setReply = raw.send(
                "PUT",
                ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-show", "password"),
                server.adminToken(),
                "{\"value\": \"" + SECRET + "\", \"sensitive\": true}");
        assertThat(setReply.status()).isEqualTo(200);
        assertThat(setReply.body()).doesNotContain(SECRET).contains("\"sensitive\":true");
        set("ws-show", "region", PLAIN_MARKER, false);

        RawHttp.Reply listed = raw.send(
                "GET", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, "ws-show"), server.adminToken(), (String) null);
        assertThat(listed.body()).doesNotContain(SECRET).contains(PLAIN_MARKER);
        assertThat(list("ws-show"))
                .extracting(
                        VariableView::name,
                        VariableView::sensitive,
                        v -> v.value() == null || v.value().isNull()
                                ? null
                                : v.value().asText())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("password", true, null),
                        org.assertj.core.groups.Tuple.tuple("region", false, PLAIN_MARKER));
        assertThat(raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, "ws-show"), server.adminToken(), (String) null)
                        .body())
                .doesNotContain(SECRET);
    }

    @Test
    void aTaskTakesTheWorkspacesValuesAsTheyWereWhenItWasQueuedItsOwnWinningAndSensitivityStaying() {
        set("ws-run", "password", SECRET, true);
        set("ws-run", "region", "eu-west-1", false);
        set("ws-run", "size", "small", false);
        ObjectNode own = JsonNodeFactory.instance
                .objectNode()
                .put("region", "us-east-2") // overrides a plain one
                .put("password", "overridden-" + SECRET) // overrides a sensitive one, not marked: stays sensitive
                .put("token", TASK_SECRET); // the task's own secret
        Map<String, String> labels = server.ownPool("pool-ws-run");
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        TaskView queued = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest("ws-run", TaskAction.PLAN, tf, own, null, labels, List.of("token"), null),
                        TaskView.class);
        set("ws-run", "size", "large", false); // after queueing: not this task's input

        RawHttp.Reply shown =
                raw.send("GET", ApiPaths.fill(ApiPaths.TASK, queued.taskId()), server.adminToken(), (String) null);
        assertThat(shown.body()).doesNotContain(SECRET).doesNotContain(TASK_SECRET);

        var agent = server.registerAgentInPool("agent-ws-run", labels.get("test"));
        TaskAssignment task = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class)
                .tasks()
                .getFirst();
        assertThat(task.variables().properties())
                .extracting(Map.Entry::getKey, e -> e.getValue().asText())
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("password", "overridden-" + SECRET),
                        org.assertj.core.groups.Tuple.tuple("region", "us-east-2"),
                        org.assertj.core.groups.Tuple.tuple("size", "small"),
                        org.assertj.core.groups.Tuple.tuple("token", TASK_SECRET));
        assertThat(task.sensitiveVariables()).containsExactlyInAnyOrder("password", "token");
    }

    @Test
    void theWorkspacesTerraformVersionFillsInForTasksThatNameNone() {
        WorkspaceView updated = server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "ws-version"),
                        new WorkspaceSettings("1.11.4"),
                        WorkspaceView.class);
        assertThat(updated.terraformVersion()).isEqualTo("1.11.4");

        assertThat(queueAndClaim("ws-version", null, null, null).terraformVersion())
                .isEqualTo("1.11.4");
        assertThat(queueAndClaim("ws-version", null, null, "1.10.5").terraformVersion())
                .isEqualTo("1.10.5");

        server.admin()
                .put(ApiPaths.fill(ApiPaths.WORKSPACE, "ws-version"), new WorkspaceSettings(null), WorkspaceView.class);
        assertThat(server.workspace("ws-version").terraformVersion()).isNull();
        assertThat(queueAndClaim("ws-version", null, null, null).terraformVersion())
                .isNull();
    }

    @Test
    void deletingRemovesTheVariableOnceAndThenSaysItIsGone() {
        set("ws-delete", "gone", "soon", false);
        assertThat(raw.send(
                                "DELETE",
                                ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-delete", "gone"),
                                server.adminToken(),
                                (String) null)
                        .status())
                .isEqualTo(204);
        assertThat(list("ws-delete")).isEmpty();
        RawHttp.Reply again = raw.send(
                "DELETE", ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-delete", "gone"), server.adminToken(), (String)
                        null);
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.errorCode()).isEqualTo("variable_not_found");
    }

    /** Sensitive values reach the database only sealed: the plaintext is nowhere in its files, WAL included. */
    @Test
    void noSensitiveValueIsInTheDatabaseFilesWhileAPlainOneIs() throws IOException {
        set("ws-files", "password", SECRET, true);
        set("ws-files", "region", PLAIN_MARKER, false);
        queueAndClaim(
                "ws-files", JsonNodeFactory.instance.objectNode().put("token", TASK_SECRET), List.of("token"), null);

        Path pg = server.dataDir().resolve("pg");
        assertThat(pg).isDirectory();
        assertThat(RawBytes.filesContaining(pg, PLAIN_MARKER))
                .as("the search finds what is stored plain")
                .isNotEmpty();
        assertThat(RawBytes.filesContaining(pg, SECRET)).isEmpty();
        assertThat(RawBytes.filesContaining(pg, TASK_SECRET)).isEmpty();
    }

    static Stream<Arguments> badRequests() {
        String variable = ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-bad", "name");
        return Stream.of(
                Arguments.of(
                        "name not an identifier",
                        "PUT",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-bad", "1abc"),
                        "admin",
                        "{\"value\": \"v\"}",
                        400,
                        "invalid_variable_name"),
                Arguments.of(
                        "name with path characters",
                        "PUT",
                        ApiPaths.PREFIX + "/workspaces/ws-bad/variables/..%2f..",
                        "admin",
                        "{\"value\": \"v\"}",
                        400,
                        "invalid_variable_name"),
                Arguments.of(
                        "name too long",
                        "PUT",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-bad", "n".repeat(129)),
                        "admin",
                        "{\"value\": \"v\"}",
                        400,
                        "invalid_variable_name"),
                Arguments.of(
                        "bad workspace id",
                        "PUT",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "-ws", "name"),
                        "admin",
                        "{\"value\": \"v\"}",
                        400,
                        "invalid_workspace_id"),
                Arguments.of("no value", "PUT", variable, "admin", "{\"sensitive\": true}", 400, "missing_value"),
                Arguments.of("null value", "PUT", variable, "admin", "{\"value\": null}", 400, "missing_value"),
                Arguments.of(
                        "value too large",
                        "PUT",
                        variable,
                        "admin",
                        "{\"value\": \"" + "x".repeat(VariableService.MAX_VALUE_BYTES) + "\"}",
                        400,
                        "value_too_large"),
                Arguments.of("malformed JSON", "PUT", variable, "admin", "{\"value\": ", 400, "malformed_json"),
                Arguments.of(
                        "unknown field",
                        "PUT",
                        variable,
                        "admin",
                        "{\"value\": \"v\", \"secret\": true}",
                        400,
                        "unknown_field"),
                Arguments.of(
                        "sensitive not a boolean",
                        "PUT",
                        variable,
                        "admin",
                        "{\"value\": \"v\", \"sensitive\": \"yes\"}",
                        400,
                        "invalid_field"),
                Arguments.of("no token", "PUT", variable, null, "{\"value\": \"v\"}", 401, "unauthorized"),
                Arguments.of("pool token", "PUT", variable, "pool", "{\"value\": \"v\"}", 403, "forbidden"),
                Arguments.of(
                        "pool token lists",
                        "GET",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, "ws-bad"),
                        "pool",
                        null,
                        403,
                        "forbidden"),
                Arguments.of(
                        "list of an unknown workspace",
                        "GET",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, "never-seen"),
                        "admin",
                        null,
                        404,
                        "workspace_not_found"),
                Arguments.of(
                        "delete of an unknown variable",
                        "DELETE",
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "ws-bad", "nope"),
                        "admin",
                        null,
                        404,
                        "variable_not_found"),
                Arguments.of(
                        "bad terraform version",
                        "PUT",
                        ApiPaths.fill(ApiPaths.WORKSPACE, "ws-bad"),
                        "admin",
                        "{\"terraform_version\": \"latest\"}",
                        400,
                        "invalid_terraform_version"),
                Arguments.of(
                        "settings with a pool token",
                        "PUT",
                        ApiPaths.fill(ApiPaths.WORKSPACE, "ws-bad"),
                        "pool",
                        "{\"terraform_version\": \"1.11.4\"}",
                        403,
                        "forbidden"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputGetsAPreciseErrorAndChangesNothing(
            String name, String method, String path, String who, String body, int status, String code) {
        set("ws-bad", "name", "before", false);
        String token = who == null ? null : "admin".equals(who) ? server.adminToken() : server.poolToken();

        RawHttp.Reply reply = raw.send(method, path, token, body);

        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
        assertThat(reply.json().path("error").path("message").asText()).isNotBlank();
        assertThat(list("ws-bad"))
                .extracting(VariableView::name, v -> v.value().asText())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("name", "before"));
        assertThat(server.workspace("ws-bad").terraformVersion()).isNull();
    }
}
