package io.iacrunner.server.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An agent's isolation, as it states it at registration and on every ping, is what the agent list shows. */
class AgentIsolationTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static AgentView listed(String agentId) {
        return server.admin().get(ApiPaths.AGENTS, AgentList.class).agents().stream()
                .filter(a -> a.agentId().equals(agentId)).findFirst().orElseThrow();
    }

    @Test
    void anAgentWithoutASandboxIsListedAsSuchFromItsRegistrationAndEveryPing() {
        RegisterResponse open = server.withToken(server.poolToken()).post(ApiPaths.AGENT_REGISTER,
                new RegisterRequest("open", "t", "h", Isolation.NONE), RegisterResponse.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.NONE);

        var client = server.withToken(open.agentToken());
        client.post(ApiPaths.AGENT_PING, new AgentPing(open.agentId(), false, 0, 3, false, List.of(), 0, 0, "t", Isolation.NONE),
                PingReply.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.NONE);

        // Restarted with a sandbox under the same identity: its next ping says so.
        client.post(ApiPaths.AGENT_PING, new AgentPing(open.agentId(), false, 0, 3, false, List.of(), 0, 0, "t", Isolation.SANDBOX),
                PingReply.class);
        assertThat(listed(open.agentId()).isolation()).isEqualTo(Isolation.SANDBOX);
    }

    @Test
    void anAgentThatDoesNotSayIsUnknownAndAPingThatDoesNotSayChangesNothing() {
        var quiet = server.registerAgent("quiet");
        assertThat(listed(quiet.agentId()).isolation()).isNull();
        RegisterResponse sandboxed = server.withToken(server.poolToken()).post(ApiPaths.AGENT_REGISTER,
                new RegisterRequest("boxed", "t", "h", Isolation.SANDBOX), RegisterResponse.class);
        server.withToken(sandboxed.agentToken()).post(ApiPaths.AGENT_PING,
                new AgentPing(sandboxed.agentId(), false, 0, 3, false, List.of(), 0, 0, "t"), PingReply.class);
        assertThat(listed(sandboxed.agentId()).isolation()).isEqualTo(Isolation.SANDBOX);
    }

    @Test
    void anIsolationThatDoesNotExistIsRefused() {
        RawHttp raw = new RawHttp(server.baseUrl());
        RawHttp.Reply reply = raw.send("POST", ApiPaths.AGENT_REGISTER, server.poolToken(),
                "{\"name\": \"n\", \"version\": \"v\", \"hostname\": \"h\", \"isolation\": \"chroot\"}");
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(reply.errorCode()).isEqualTo("invalid_field");
    }
}
