package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.server.auth.ApiTokens;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Endpoints that mint credentials take a few requests a minute, then 429 with Retry-After: token creation per client
 * address, agent registration per pool token (after a burst of ten minutes' worth, so a fleet behind one NAT address
 * starts together).
 */
class RateLimitTest {
    static TestServer server;
    static RawHttp raw;

    @BeforeAll
    static void start() {
        server = TestServer.start(c -> c.credentialRequestsPerMinute(3));
        raw = new RawHttp(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void registrationsPastTheBurstOfAPoolTokenAre429WithRetryAfterAndRegisterNothing() throws Exception {
        String body = "{\"name\": \"burst\", \"version\": \"v\", \"hostname\": \"h\"}";
        for (int i = 0; i < 30; i++) {
            assertThat(raw.send("POST", ApiPaths.AGENT_REGISTER, server.poolToken(), body)
                            .status())
                    .isEqualTo(200);
        }
        int agents = server.admin()
                .get(ApiPaths.AGENTS, com.fasterxml.jackson.databind.JsonNode.class)
                .path("agents")
                .size();
        HttpResponse<String> refused = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(server.baseUrl() + ApiPaths.AGENT_REGISTER))
                                .header("Authorization", "Bearer " + server.poolToken())
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("\"rate_limited\"");
        assertThat(refused.headers().firstValue("Retry-After"))
                .hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
        assertThat(server.admin()
                        .get(ApiPaths.AGENTS, com.fasterxml.jackson.databind.JsonNode.class)
                        .path("agents")
                        .size())
                .isEqualTo(agents);
    }

    @Test
    void anotherPoolTokenAtTheSameAddressHasItsOwnBudget() {
        // A second token of the same pool, minted behind the API's back: through it, it would spend token creations.
        String pool = server.store()
                .withHandle(h -> h.createQuery("select pool_id from pools order by pool_id limit 1")
                        .mapTo(String.class)
                        .one());
        String other = new ApiTokens(server.store(), Clock.systemUTC())
                .createPoolToken(pool, "second token")
                .token();
        String body = "{\"name\": \"fleet\", \"version\": \"v\", \"hostname\": \"h\"}";
        for (int i = 0; i < 30; i++) {
            assertThat(raw.send("POST", ApiPaths.AGENT_REGISTER, other, body).status())
                    .isEqualTo(200);
        }
        assertThat(raw.send("POST", ApiPaths.AGENT_REGISTER, other, body).errorCode())
                .isEqualTo("rate_limited");
    }

    @Test
    void tokenCreationHasItsOwnBudget() {
        for (int i = 0; i < 3; i++) {
            assertThat(raw.send("POST", ApiPaths.TOKENS, server.adminToken(), "{\"workspaces\": {\"w\": \"read\"}}")
                            .status())
                    .isEqualTo(201);
        }
        RawHttp.Reply refused =
                raw.send("POST", ApiPaths.TOKENS, server.adminToken(), "{\"workspaces\": {\"w\": \"read\"}}");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.errorCode()).isEqualTo("rate_limited");
        assertThat(raw.send("GET", ApiPaths.TOKENS, server.adminToken(), (String) null)
                        .status())
                .as("reading is not limited")
                .isEqualTo(200);
    }
}
