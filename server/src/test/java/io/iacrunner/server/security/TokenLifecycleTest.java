package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.AuditEventView;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenList;
import io.iacrunner.protocol.TokenView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tokens shown once and kept hashed, revoked at once, signing keys rotated without a refused agent, and the audit trail. */
class TokenLifecycleTest {
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
    void aTokenIsShownOnceWorksUntilRevokedAndTheDatabaseHoldsOnlyItsHash() throws Exception {
        TokenCreated created = server.admin()
                .post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("ci for web", null, Map.of("web", Role.PLAN), null, null),
                        TokenCreated.class);
        assertThat(created.token()).startsWith("iacrt_");
        WhoAmI me = server.withToken(created.token()).get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(me.workspaces()).containsExactly(Map.entry("web", Role.PLAN));
        assertThat(me.globalAdmin()).isFalse();

        String listed = raw.send("GET", ApiPaths.TOKENS, server.adminToken(), (String) null)
                .body();
        String secret = created.token().substring(created.token().lastIndexOf('_') + 1);
        assertThat(listed).contains(created.view().tokenId()).doesNotContain(secret);
        assertThat(io.iacrunner.server.testing.RawBytes.filesContaining(
                        server.dataDir().resolve("pg"), secret))
                .as("the store keeps a hash, never the secret")
                .isEmpty();

        TokenView revoked = server.admin()
                .post(ApiPaths.fill(ApiPaths.TOKEN_REVOKE, created.view().tokenId()), Map.of(), TokenView.class);
        assertThat(revoked.revokedAt()).isNotNull();
        assertThatThrownBy(() -> server.withToken(created.token()).get(ApiPaths.WHOAMI, WhoAmI.class))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.getMessage()).contains("revoked");
                });
        RawHttp.Reply again = raw.send(
                "POST", ApiPaths.fill(ApiPaths.TOKEN_REVOKE, created.view().tokenId()), server.adminToken(), "{}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorCode()).isEqualTo("token_revoked");
    }

    @Test
    void aTaskRecordsTheTokenThatQueuedIt() {
        TokenCreated ci = server.admin()
                .post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("ci for app", null, Map.of("app", Role.PLAN), null, null),
                        TokenCreated.class);
        var tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        TaskView task = server.withToken(ci.token())
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                "app",
                                TaskAction.PLAN,
                                tf,
                                null,
                                null,
                                server.parkingPool(Map.of("never", "matches")),
                                null,
                                null),
                        TaskView.class);
        assertThat(task.createdBy()).isEqualTo("ci for app (" + ci.view().tokenId() + ")");
        assertThat(server.admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, task.taskId()), TaskView.class)
                        .createdBy())
                .isEqualTo(task.createdBy());
    }

    @Test
    void rotatingTheSigningKeyKeepsLiveAgentTokensValidAndPublishesBothKeys() {
        var agent = server.registerAgent("rotation");
        String before = kids().getFirst();

        String kid = server.admin()
                .post(ApiPaths.SIGNING_KEY_ROTATE, Map.of(), JsonNode.class)
                .path("kid")
                .asText();

        assertThat(kids()).contains(before, kid);
        assertThat(agent.client()
                        .post(
                                ApiPaths.AGENT_PING,
                                new AgentPing(agent.agentId(), false, 0, 1, false, List.of(), 0, 0, "test"),
                                PingReply.class))
                .as("the old key still verifies")
                .isNotNull();
        var fresh = server.registerAgent("after-rotation");
        String header = new String(java.util.Base64.getUrlDecoder()
                .decode(fresh.registration().agentToken().split("\\.")[0]));
        assertThat(header).contains("\"kid\":\"" + kid + "\"");
    }

    @Test
    void securityEventsAreAudited() {
        String tokenId = server.admin()
                .post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("audited", null, Map.of("audit-ws", Role.READ), null, null),
                        TokenCreated.class)
                .view()
                .tokenId();
        server.admin().post(ApiPaths.fill(ApiPaths.TOKEN_REVOKE, tokenId), Map.of(), TokenView.class);
        var tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        TaskView task = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                "audit-ws",
                                TaskAction.PLAN,
                                tf,
                                null,
                                null,
                                server.parkingPool(Map.of("never", "matches")),
                                null,
                                null),
                        TaskView.class);
        server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, task.taskId()), new CancelRequest(false), TaskView.class);
        raw.send("GET", ApiPaths.TASKS, "iacrt_0000000000000000_" + "A".repeat(43), (String) null);

        List<AuditEventView> events = server.admin()
                .get(ApiPaths.AUDIT_EVENTS + "?limit=100", AuditEventList.class)
                .events();
        assertThat(events)
                .extracting(AuditEventView::kind, AuditEventView::subject)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("token_created", tokenId),
                        org.assertj.core.groups.Tuple.tuple("token_revoked", tokenId),
                        org.assertj.core.groups.Tuple.tuple("task_canceled", task.taskId()));
        // Failed authentications are recorded once per address and ten seconds; this class's first one is there.
        assertThat(events).extracting(AuditEventView::kind).contains("authentication_failed");
        assertThat(events)
                .filteredOn(e -> e.kind().equals("token_created"))
                .allSatisfy(e -> assertThat(e.actor()).startsWith("token:tok-"));
        assertThat(server.admin().get(ApiPaths.TOKENS, TokenList.class).tokens())
                .isNotEmpty();
    }

    private static List<String> kids() {
        JsonNode jwks = raw.send("GET", ApiPaths.JWKS, null, (String) null).json();
        List<String> kids = new java.util.ArrayList<>();
        jwks.path("keys").forEach(k -> {
            assertThat(k.has("d")).as("only public halves are published").isFalse();
            kids.add(k.path("kid").asText());
        });
        return kids;
    }
}
