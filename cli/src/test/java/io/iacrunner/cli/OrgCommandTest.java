package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --org} (else {@code IAC_ORG}, else none: the requests of before) and the organisation commands. */
class OrgCommandTest {
    static final String WORKSPACE = """
            {"workspace_id":"acme/demo","lock":null,"auto_apply":true,"org":"acme","name":"demo","created_at":"2026-11-30T10:00:00Z"}""";

    @TempDir
    Path dir;

    FakeApi api;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void everyRequestNamesTheOrganisationOfOrgElseIacOrgElseNone() throws Exception {
        api.on("GET", "/api/v1/workspaces/demo", FakeApi.Reply.ok(WORKSPACE));
        CliRun flag = CliRun.run(dir, "workspace", "show", "demo", "--json", "--org", "acme", "--server", api.url());
        assertThat(flag.exit()).as(flag.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("org=acme");
        JsonNode shown = json.readTree(flag.out());
        assertThat(shown.path("http_backend").path("address").asText())
                .endsWith("/api/v1/workspaces/demo/terraform/state?org=acme");

        CliRun env = CliRun.run(Map.of("IAC_ORG", "beta"), dir, "workspace", "show", "demo", "--server", api.url());
        assertThat(env.exit()).as(env.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("org=beta");

        CliRun none = CliRun.run(dir, "workspace", "show", "demo", "--server", api.url());
        assertThat(none.exit()).as(none.toString()).isZero();
        assertThat(api.requests.getLast().query()).as("as before organisations").isNull();
    }

    @Test
    void orgTeamAndTokenCommandsSendWhatTheApiTakes() throws Exception {
        api.on("POST", "/api/v1/orgs", FakeApi.Reply.ok("""
                {"org_id":"acme","weight":1,"max_running":null,"max_queued":5,"created_at":"2026-11-30T10:00:00Z"}"""));
        CliRun create = CliRun.run(dir, "org", "create", "acme", "--max-queued", "5", "--server", api.url());
        assertThat(create.exit()).as(create.toString()).isZero();
        assertThat(json.readTree(api.requests.getLast().body())
                        .path("max_queued")
                        .asInt())
                .isEqualTo(5);

        api.on("POST", "/api/v1/orgs/acme/teams/devs/grants", FakeApi.Reply.ok("""
                {"workspace":"app","role":"plan"}"""));
        CliRun grant = CliRun.run(
                dir, "team", "grant", "devs", "plan", "--workspace", "app", "--org", "acme", "--server", api.url());
        assertThat(grant.exit()).as(grant.toString()).isZero();
        JsonNode body = json.readTree(api.requests.getLast().body());
        assertThat(body.path("workspace").asText()).isEqualTo("app");
        assertThat(body.path("role").asText()).isEqualTo("plan");
        assertThat(grant.out()).isEqualTo("team devs: plan on app\n");

        CliRun badRole = CliRun.run(dir, "team", "grant", "devs", "boss", "--org", "acme", "--server", api.url());
        assertThat(badRole.exit()).isEqualTo(2);

        api.on("POST", "/api/v1/tokens", FakeApi.Reply.ok("""
                {"token":"iacrt_x","view":{"token_id":"tok-0000000000000001","kind":"user","org":"acme","org_owner":true}}"""));
        CliRun owner = CliRun.run(dir, "token", "create", "--org", "acme", "--owner", "--server", api.url());
        assertThat(owner.exit()).as(owner.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("org=acme");
        assertThat(json.readTree(api.requests.getLast().body())
                        .path("org_owner")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void poolGrantSharesAndAuditCommandsSendWhatTheApiTakes() throws Exception {
        String grants = """
                {"pool_id":"acme/runners","grants":[{"org":"acme","workspace":"acme/app"}]}""";
        api.on("PUT", "/api/v1/pools/runners/grants", FakeApi.Reply.ok(grants));
        CliRun grant = CliRun.run(
                dir, "pool", "grant", "runners", "--workspace", "app", "--org", "acme", "--server", api.url());
        assertThat(grant.exit()).as(grant.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("org=acme");
        JsonNode body = json.readTree(api.requests.getLast().body());
        assertThat(body.path("org").asText()).isEqualTo("acme");
        assertThat(body.path("workspaces")).hasSize(1);
        assertThat(grant.out()).contains("acme/app");

        // A pool shared from another organisation is ORG/NAME: named by ?org=, the workspaces still --org's.
        CliRun all = CliRun.run(
                dir, "pool", "grant", "default/runners", "--all-workspaces", "--org", "acme", "--server", api.url());
        assertThat(all.exit()).as(all.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("org=default");
        body = json.readTree(api.requests.getLast().body());
        assertThat(body.path("org").asText()).isEqualTo("acme");
        assertThat(body.path("workspaces").isNull()).isTrue();

        CliRun neither = CliRun.run(dir, "pool", "grant", "runners", "--server", api.url());
        assertThat(neither.exit()).isEqualTo(2);
        CliRun both = CliRun.run(
                dir, "pool", "grant", "runners", "--all-workspaces", "--workspace", "x", "--server", api.url());
        assertThat(both.exit()).isEqualTo(2);

        api.on("POST", "/api/v1/pools/runners/shares", FakeApi.Reply.ok("""
                {"name":"beta"}"""));
        CliRun share = CliRun.run(dir, "pool", "share", "runners", "--with", "beta", "--server", api.url());
        assertThat(share.exit()).as(share.toString()).isZero();
        assertThat(json.readTree(api.requests.getLast().body()).path("name").asText())
                .isEqualTo("beta");

        api.on("GET", "/api/v1/audit-events", FakeApi.Reply.ok("""
                {"events":[]}"""));
        CliRun siteWide = CliRun.run(dir, "audit", "--server", api.url());
        assertThat(siteWide.exit()).as(siteWide.toString()).isZero();
        assertThat(api.requests.getLast().query()).isEqualTo("limit=50");
        CliRun ofDefault = CliRun.run(dir, "audit", "--org", "default", "--server", api.url());
        assertThat(ofDefault.exit()).as(ofDefault.toString()).isZero();
        assertThat(api.requests.getLast().query()).as("even default is named").isEqualTo("limit=50&org=default");
    }
}
