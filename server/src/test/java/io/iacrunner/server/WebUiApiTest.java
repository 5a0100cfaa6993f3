package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceList;
import io.iacrunner.protocol.WorkspaceSummary;
import io.iacrunner.protocol.WsTicket;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the web UI needs of the server: its files, who am I, one-time WebSocket tickets, the workspace list. */
class WebUiApiTest {
    static TestServer server;
    static RawHttp raw;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60));
        raw = new RawHttp(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theUiIsServedFromTheJarWithAPolicyThatAllowsOnlyItsOwnOrigin() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(page.body()).contains("<script type=\"module\" src=\"/js/main.js\"></script>");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(v -> assertThat(v)
                        .contains("default-src 'self'")
                        .contains("script-src 'self'")
                        .contains("frame-ancestors 'none'"));
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        HttpResponse<String> module = get("/js/logview.js");
        assertThat(module.statusCode()).isEqualTo(200);
        assertThat(module.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).contains("javascript"));
        RawHttp.Reply api404 = raw.send("GET", ApiPaths.PREFIX + "/nope", server.adminToken(), (String) null);
        assertThat(api404.status()).isEqualTo(404);
        assertThat(api404.errorCode()).as("the API's own 404 still").isEqualTo("not_found");
    }

    @Test
    void whoamiDescribesUserTokensAndRefusesMachineOnes() {
        WhoAmI admin = server.admin().get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(admin.kind()).isEqualTo("admin");
        assertThat(admin.globalAdmin()).isTrue();
        WhoAmI reader = server.withToken(server.userToken(Role.READ, "ui-who")).get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(reader.kind()).isEqualTo("user");
        assertThat(reader.workspaces()).containsExactly(Map.entry("ui-who", Role.READ));
        JsonNode wire = raw.send("GET", ApiPaths.WHOAMI, server.userToken(Role.APPLY, "ui-who"), (String) null)
                .json();
        assertThat(wire.path("workspaces").path("ui-who").asText())
                .as("roles travel by their wire names")
                .isEqualTo("apply");
        assertThat(raw.send("GET", ApiPaths.WHOAMI, server.poolToken(), (String) null)
                        .status())
                .isEqualTo(403);
        TestServer.RegisteredAgent agent = server.registerAgent("whoami");
        assertThat(raw.send("GET", ApiPaths.WHOAMI, agent.registration().agentToken(), (String) null)
                        .status())
                .isEqualTo(403);
    }

    @Test
    void aTicketOpensTheViewerWebSocketOnceAndOnlyForWhoAskedForIt() throws Exception {
        TaskView task = canceledTask("ui-ticket");
        WsTicket ticket = server.admin().post(ApiPaths.WS_TICKETS, Map.of(), WsTicket.class);
        assertThat(ticket.ticket()).hasSizeGreaterThanOrEqualTo(40);
        assertThat(ticket.expiresAt())
                .isBetween(Instant.now().plusSeconds(20), Instant.now().plusSeconds(31));

        WsFrames frames = viewer(task.taskId(), ticket.ticket());
        JsonNode end = WireJson.lenient().readTree(frames.next());
        assertThat(end.path("type").asText()).isEqualTo("end");
        assertThat(end.path("status").asText()).isEqualTo("canceled");
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);

        assertThat(refusal(task.taskId(), ticket.ticket()))
                .as("the same ticket again")
                .isEqualTo(4401);
        assertThat(refusal(task.taskId(), "no-such-ticket"))
                .as("an unknown ticket")
                .isEqualTo(4401);
        assertThat(raw.send("POST", ApiPaths.WS_TICKETS, server.poolToken(), "{}")
                        .status())
                .as("only user tokens get tickets")
                .isEqualTo(403);
        String otherWorkspace = server.withToken(server.userToken(Role.ADMIN, "ui-elsewhere"))
                .post(ApiPaths.WS_TICKETS, Map.of(), WsTicket.class)
                .ticket();
        assertThat(refusal(task.taskId(), otherWorkspace))
                .as("a ticket has its token's rights, no more")
                .isEqualTo(4404);
        String spent = server.admin()
                .post(ApiPaths.WS_TICKETS, Map.of(), WsTicket.class)
                .ticket();
        assertThat(refusal("t-0000000000000000", spent)).as("an unknown task").isEqualTo(4404);
        assertThat(refusal(task.taskId(), spent))
                .as("a ticket is spent by a refused connection too")
                .isEqualTo(4401);
    }

    @Test
    void theWorkspaceListShowsEachWorkspacesLockStateAndNewestTask() {
        TaskView older = queue("ui-list-b");
        TaskView newest = queue("ui-list-b");
        canceledTask("ui-list-a");
        WorkspaceList list = server.admin().get(ApiPaths.WORKSPACES, WorkspaceList.class);
        assertThat(list.workspaces())
                .extracting(WorkspaceSummary::workspaceId)
                .containsSubsequence("ui-list-a", "ui-list-b");
        WorkspaceSummary b = list.workspaces().stream()
                .filter(w -> w.workspaceId().equals("ui-list-b"))
                .findFirst()
                .orElseThrow();
        assertThat(b.lastTask().taskId())
                .as("the newest task, not " + older.taskId())
                .isEqualTo(newest.taskId());
        assertThat(b.lastTask().status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(b.lastTask().action()).isEqualTo(TaskAction.PLAN);
        assertThat(b.lock()).isNull();
        assertThat(b.currentStateSerial()).isNull();
        assertThat(server.admin()
                        .get(ApiPaths.WORKSPACES + "?limit=1", WorkspaceList.class)
                        .workspaces())
                .hasSize(1);
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("whoami without a token", "GET", ApiPaths.WHOAMI, null, 401, "unauthorized"),
                Arguments.of("whoami with a garbage token", "GET", ApiPaths.WHOAMI, "not-a-jwt", 401, "unauthorized"),
                Arguments.of("ticket without a token", "POST", ApiPaths.WS_TICKETS, null, 401, "unauthorized"),
                Arguments.of(
                        "ticket with a garbage token", "POST", ApiPaths.WS_TICKETS, "not-a-jwt", 401, "unauthorized"),
                Arguments.of("ticket by GET", "GET", ApiPaths.WS_TICKETS, "admin", 404, "not_found"),
                Arguments.of("workspaces without a token", "GET", ApiPaths.WORKSPACES, null, 401, "unauthorized"),
                Arguments.of("workspaces with a pool token", "GET", ApiPaths.WORKSPACES, "pool", 403, "forbidden"),
                Arguments.of(
                        "workspaces, limit 0", "GET", ApiPaths.WORKSPACES + "?limit=0", "admin", 400, "invalid_limit"),
                Arguments.of(
                        "workspaces, limit 1001",
                        "GET",
                        ApiPaths.WORKSPACES + "?limit=1001",
                        "admin",
                        400,
                        "invalid_limit"),
                Arguments.of(
                        "workspaces, limit not a number",
                        "GET",
                        ApiPaths.WORKSPACES + "?limit=all",
                        "admin",
                        400,
                        "invalid_limit"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputGetsAPreciseError(String name, String method, String path, String who, int status, String code) {
        String token = who == null
                ? null
                : switch (who) {
                    case "admin" -> server.adminToken();
                    case "pool" -> server.poolToken();
                    default -> who;
                };
        RawHttp.Reply reply = raw.send(method, path, token, method.equals("POST") ? "{}" : null);
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** A label no pool has: no agent of another test ever takes it. */
    private static TaskView queue(String workspace) {
        return server.queuePlan(workspace, Map.of("test", "web-ui-api"));
    }

    /** A task that ended before it started: its viewer gets the end frame at once. */
    private static TaskView canceledTask(String workspace) {
        return server.admin()
                .post(
                        ApiPaths.fill(ApiPaths.TASK_CANCEL, queue(workspace).taskId()),
                        new CancelRequest(false),
                        TaskView.class);
    }

    private static WsFrames viewer(String taskId, String ticket) {
        WsFrames frames = new WsFrames();
        HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(
                        URI.create("ws://" + server.baseUrl().getRawAuthority() + ApiPaths.WS_VIEWER + "?task_id="
                                + taskId + "&ticket=" + ticket),
                        frames)
                .join();
        return frames;
    }

    /** The close code of a viewer opened with {@code ticket}; its error frame must come first. */
    private static int refusal(String taskId, String ticket) throws Exception {
        WsFrames frames = viewer(taskId, ticket);
        assertThat(WireJson.lenient()
                        .readTree(frames.next())
                        .path("error")
                        .path("code")
                        .asText())
                .isNotBlank();
        return frames.closed.get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(server.baseUrl().resolve(path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
