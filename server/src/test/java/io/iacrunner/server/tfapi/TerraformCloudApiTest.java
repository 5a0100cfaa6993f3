package io.iacrunner.server.tfapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.testing.TarGz;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
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
 * The Terraform Cloud API as Terraform's client (go-tfe) sends it, over the real server: its requests are shaped as
 * Terraform 1.11 sends them (JSON:API, {@code application/vnd.api+json}, a bearer token). Each refusal is a precise 4xx
 * with our error body and JSON:API's {@code errors}, and changes nothing. The real binary's runs are in cli's
 * {@code TerraformCloudEndToEndTest}.
 */
class TerraformCloudApiTest {
    static TestServer server;
    static RawHttp raw;

    @BeforeAll
    static void start() {
        server = TestServer.start(Duration.ofSeconds(60)); // no agent: runs stay queued
        raw = new RawHttp(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static RawHttp.Reply tfe(String method, String path, String token, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + token);
        if (body != null) headers.put("Content-Type", "application/vnd.api+json");
        return raw.send(method, path, headers, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    static String workspaceId(String name) {
        return "ws-default:" + name;
    }

    /** Creates workspace {@code name} as Terraform does when its configuration names a new one. */
    static void createWorkspace(String name) {
        RawHttp.Reply created = tfe(
                "POST",
                ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACES, "default"),
                server.adminToken(),
                "{\"data\":{\"type\":\"workspaces\",\"attributes\":{\"name\":\"" + name + "\"}}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    static String configVersionBody(boolean speculative) {
        return "{\"data\":{\"type\":\"configuration-versions\",\"attributes\":{\"auto-queue-runs\":false,"
                + "\"speculative\":" + speculative + ",\"provisional\":false}}}";
    }

    /** A configuration version with its archive uploaded: {id, upload-url}. */
    static JsonNode uploadedVersion(String workspace, String token, boolean speculative) {
        RawHttp.Reply created = tfe(
                "POST",
                ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSIONS, workspaceId(workspace)),
                token,
                configVersionBody(speculative));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode data = created.json().path("data");
        RawHttp.Reply uploaded =
                upload(data.path("attributes").path("upload-url").asText(), config());
        assertThat(uploaded.status()).as(uploaded.body()).isEqualTo(200);
        return data;
    }

    static byte[] config() {
        return new TarGz()
                .file("main.tf", "resource \"terraform_data\" \"x\" {}\n")
                .bytes();
    }

    /** As go-tfe uploads: a PUT of the tar.gz to the upload URL, without a token. */
    static RawHttp.Reply upload(String url, byte[] archive) {
        return raw.send(
                "PUT",
                url.substring(url.indexOf(ApiPaths.TFE_PREFIX)),
                Map.of("Content-Type", "application/octet-stream"),
                archive);
    }

    static String runBody(String workspace, String cv, String autoApply) {
        return "{\"data\":{\"type\":\"runs\",\"attributes\":{\"refresh\":true,\"auto-apply\":" + autoApply
                + ",\"save-plan\":false},\"relationships\":{\"configuration-version\":{\"data\":{\"type\":"
                + "\"configuration-versions\",\"id\":\"" + cv + "\"}},\"workspace\":{\"data\":{\"type\":\"workspaces\","
                + "\"id\":\"" + workspaceId(workspace) + "\"}}}}}";
    }

    static int taskCount(String workspace) {
        return server.admin()
                .get(ApiPaths.TASKS + "?workspace=" + workspace, TaskList.class)
                .tasks()
                .size();
    }

    static int configVersionCount() {
        return server.store()
                .withHandle(h -> h.createQuery("select count(*) from tfe_configuration_versions")
                        .mapTo(Integer.class)
                        .one());
    }

    /** A refusal: its status, our error code, and the same code as the title of JSON:API's errors. */
    static void assertRefused(RawHttp.Reply reply, int status, String code) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.body()).isEqualTo(code);
        assertThat(reply.json().path("errors").path(0).path("title").asText()).isEqualTo(code);
        assertThat(reply.json().path("errors").path(0).path("status").asText()).isEqualTo(Integer.toString(status));
    }

    static Stream<Arguments> malformedRuns() {
        String cv = "cv-000000000000000000000000";
        String rel = ",\"relationships\":{\"configuration-version\":{\"data\":{\"type\":\"configuration-versions\","
                + "\"id\":\"" + cv + "\"}},\"workspace\":{\"data\":{\"type\":\"workspaces\",\"id\":\""
                + workspaceId("bodies")
                + "\"}}}";
        return Stream.of(
                Arguments.of("not JSON", "{\"data\":", 400, "malformed_json"),
                Arguments.of("no body", "", 400, "missing_body"),
                Arguments.of("no data", "{\"meta\":{}}", 400, "invalid_document"),
                Arguments.of("data not an object", "{\"data\":[]}", 400, "invalid_document"),
                Arguments.of("no type", "{\"data\":{\"attributes\":{}}}", 400, "invalid_document"),
                Arguments.of(
                        "another type", "{\"data\":{\"type\":\"workspaces\"" + rel + "}}", 409, "wrong_resource_type"),
                Arguments.of(
                        "attributes not an object",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":[]" + rel + "}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "auto-apply not a boolean",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":{\"auto-apply\":\"yes\"}" + rel + "}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "targets not strings",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":{\"target-addrs\":[1]}" + rel + "}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "run variables",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":{\"variables\":[{\"key\":\"a\",\"value\":\"1\"}]}"
                                + rel + "}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "refresh off",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":{\"refresh\":false}" + rel + "}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "no configuration version",
                        "{\"data\":{\"type\":\"runs\",\"attributes\":{},\"relationships\":{\"workspace\":{\"data\":"
                                + "{\"type\":\"workspaces\",\"id\":\"" + workspaceId("bodies") + "\"}}}}}",
                        422,
                        "invalid_attribute"),
                Arguments.of(
                        "relationship of another type",
                        "{\"data\":{\"type\":\"runs\",\"relationships\":{\"configuration-version\":{\"data\":"
                                + "{\"type\":\"runs\",\"id\":\"x\"}}}}}",
                        422,
                        "invalid_attribute"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRuns")
    void aMalformedRunIsRefusedPreciselyAndQueuesNothing(String what, String body, int status, String code) {
        createWorkspace("bodies");
        int before = taskCount("bodies");
        assertRefused(tfe("POST", ApiPaths.TFE_RUNS, server.adminToken(), body), status, code);
        assertThat(taskCount("bodies")).isEqualTo(before);
    }

    @Test
    void malformedConfigurationVersionsAndWorkspacesAreRefusedAndStoreNothing() {
        createWorkspace("cv-bodies");
        String path = ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSIONS, workspaceId("cv-bodies"));
        int before = configVersionCount();
        assertRefused(tfe("POST", path, server.adminToken(), "nope"), 400, "malformed_json");
        assertRefused(
                tfe("POST", path, server.adminToken(), "{\"data\":{\"type\":\"runs\"}}"), 409, "wrong_resource_type");
        assertRefused(
                tfe(
                        "POST",
                        path,
                        server.adminToken(),
                        "{\"data\":{\"type\":\"configuration-versions\",\"attributes\":{\"speculative\":1}}}"),
                422,
                "invalid_attribute");
        assertRefused(
                tfe(
                        "POST",
                        path,
                        server.adminToken(),
                        "{\"data\":{\"type\":\"configuration-versions\",\"attributes\":{\"auto-queue-runs\":true}}}"),
                422,
                "invalid_attribute");
        Map<String, String> xml = Map.of("Authorization", "Bearer " + server.adminToken(), "Content-Type", "text/xml");
        assertRefused(
                raw.send("POST", path, xml, configVersionBody(true).getBytes(StandardCharsets.UTF_8)),
                415,
                "unsupported_media_type");
        assertThat(configVersionCount()).isEqualTo(before);

        String workspaces = ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACES, "default");
        assertRefused(
                tfe("POST", workspaces, server.adminToken(), "{\"data\":{\"type\":\"workspaces\",\"attributes\":{}}}"),
                422,
                "invalid_attribute");
        assertRefused(
                tfe(
                        "POST",
                        workspaces,
                        server.adminToken(),
                        "{\"data\":{\"type\":\"workspaces\",\"attributes\":{\"name\":\"../etc\"}}}"),
                422,
                "invalid_attribute");
    }

    @Test
    void anArchiveLeavingItsDirectoryIsRefusedAndTheVersionStaysPending() {
        createWorkspace("uploads");
        RawHttp.Reply created = tfe(
                "POST",
                ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSIONS, workspaceId("uploads")),
                server.adminToken(),
                configVersionBody(true));
        JsonNode data = created.json().path("data");
        String url = data.path("attributes").path("upload-url").asText();
        String id = data.path("id").asText();

        RawHttp.Reply traversal =
                upload(url, new TarGz().file("../evil.tf", "x").bytes());
        assertThat(traversal.status()).as(traversal.body()).isBetween(400, 499);
        assertThat(traversal.errorCode()).isEqualTo("archive_path_traversal");
        RawHttp.Reply override = upload(
                url,
                new TarGz().file("zz_iac_runner_backend_override.tf.json", "{}").bytes());
        assertRefused(override, 400, "archive_reserved_name");
        RawHttp.Reply wrongSecret = upload(url.substring(0, url.lastIndexOf('/') + 1) + "guessed", config());
        assertRefused(wrongSecret, 404, "configuration_version_not_found");
        RawHttp.Reply version = tfe("GET", ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSION, id), server.adminToken(), null);
        assertThat(version.json().path("data").path("attributes").path("status").asText())
                .isEqualTo("pending");

        String run = runBody("uploads", id, "false");
        assertRefused(tfe("POST", ApiPaths.TFE_RUNS, server.adminToken(), run), 409, "configuration_not_uploaded");
        assertThat(taskCount("uploads")).isZero();

        assertThat(upload(url, config()).status()).isEqualTo(200);
        assertRefused(upload(url, config()), 409, "already_uploaded");
    }

    @Test
    void aWrongOrganisationOrWorkspaceIsNotFound() {
        String token = server.adminToken();
        assertRefused(
                tfe("GET", ApiPaths.fill(ApiPaths.TFE_ENTITLEMENTS, "nowhere"), token, null), 404, "org_not_found");
        assertRefused(
                tfe("GET", ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACE, "default", "missing"), token, null),
                404,
                "workspace_not_found");
        assertRefused(
                tfe("GET", ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACE, "nowhere", "app"), token, null),
                404,
                "workspace_not_found");
        assertRefused(
                tfe("GET", ApiPaths.TFE_PREFIX + "workspaces/ws-default:missing/current-state-version", token, null),
                404,
                "workspace_not_found");
        assertRefused(
                tfe("GET", ApiPaths.TFE_PREFIX + "workspaces/not-ours/current-state-version", token, null),
                404,
                "workspace_not_found");
        assertRefused(tfe("GET", ApiPaths.fill(ApiPaths.TFE_RUN, "run-t-nope"), token, null), 404, "not_found");
        assertRefused(
                tfe(
                        "POST",
                        ApiPaths.TFE_PREFIX + "workspaces/ws-default:missing/configuration-versions",
                        token,
                        configVersionBody(true)),
                404,
                "workspace_not_found");
    }

    @Test
    void aTokenWithoutARoleThereSeesNothingAndCreatesNothing() {
        createWorkspace("private");
        String elsewhere = server.userToken(Role.ADMIN, "elsewhere");
        assertRefused(
                tfe("GET", ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACE, "default", "private"), elsewhere, null),
                404,
                "workspace_not_found");
        assertRefused(
                tfe(
                        "POST",
                        ApiPaths.fill(ApiPaths.TFE_ORG_WORKSPACES, "default"),
                        elsewhere,
                        "{\"data\":{\"type\":\"workspaces\",\"attributes\":{\"name\":\"never-made\"}}}"),
                404,
                "workspace_not_found");
        assertThat(raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, "never-made"), server.adminToken(), (String) null)
                        .status())
                .isEqualTo(404);
        int before = configVersionCount();
        assertRefused(
                tfe(
                        "POST",
                        ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSIONS, workspaceId("private")),
                        elsewhere,
                        configVersionBody(true)),
                404,
                "workspace_not_found");
        assertThat(configVersionCount()).isEqualTo(before);
        assertRefused(
                tfe("GET", ApiPaths.fill(ApiPaths.TFE_ENTITLEMENTS, "default"), "garbage", null), 401, "unauthorized");
    }

    @Test
    void thePlanRoleQueuesPlanOnlyRunsButNeitherAppliesNorConfirms() {
        createWorkspace("roles");
        String planner = server.userToken(Role.PLAN, "roles");
        JsonNode speculative = uploadedVersion("roles", planner, true);
        int versions = configVersionCount();
        RawHttp.Reply plan = tfe(
                "POST",
                ApiPaths.TFE_RUNS,
                planner,
                runBody("roles", speculative.path("id").asText(), "false"));
        assertThat(plan.status()).as(plan.body()).isEqualTo(201);
        JsonNode run = plan.json().path("data");
        assertThat(run.path("attributes").path("plan-only").asBoolean()).isTrue();
        assertThat(run.path("attributes").path("status").asText()).isEqualTo("plan_queued");
        assertThat(taskCount("roles")).isEqualTo(1);
        assertThat(configVersionCount())
                .as("its run took the version's archive")
                .isEqualTo(versions - 1);
        assertRefused(
                tfe(
                        "POST",
                        ApiPaths.TFE_RUNS,
                        planner,
                        runBody("roles", speculative.path("id").asText(), "false")),
                404,
                "configuration_version_not_found");

        JsonNode full = uploadedVersion("roles", planner, false);
        assertRefused(
                tfe(
                        "POST",
                        ApiPaths.TFE_RUNS,
                        planner,
                        runBody("roles", full.path("id").asText(), "true")),
                403,
                "forbidden");
        assertThat(taskCount("roles")).isEqualTo(1);

        RawHttp.Reply apply = tfe(
                "POST",
                ApiPaths.TFE_RUNS,
                server.adminToken(),
                runBody("roles", full.path("id").asText(), "false"));
        assertThat(apply.status()).as(apply.body()).isEqualTo(201);
        String runId = apply.json().path("data").path("id").asText();
        assertThat(apply.json()
                        .path("data")
                        .path("attributes")
                        .path("plan-only")
                        .asBoolean())
                .isFalse();
        for (String action : List.of("apply", "discard", "cancel")) {
            assertRefused(
                    tfe("POST", ApiPaths.fill(ApiPaths.TFE_RUN_ACTION, runId, action), planner, "{}"),
                    403,
                    "forbidden");
        }
        RawHttp.Reply read = tfe("GET", ApiPaths.fill(ApiPaths.TFE_RUN, runId), planner, null);
        assertThat(read.json().path("data").path("attributes").path("status").asText())
                .isEqualTo("plan_queued");
        assertThat(read.json()
                        .path("data")
                        .path("attributes")
                        .path("permissions")
                        .path("can-apply")
                        .asBoolean())
                .isFalse();
        assertRefused(
                tfe("POST", ApiPaths.fill(ApiPaths.TFE_RUN_ACTION, runId, "apply"), server.adminToken(), "{\"x\":1}"),
                400,
                "unknown_field");
        assertRefused(
                tfe("POST", ApiPaths.fill(ApiPaths.TFE_RUN_ACTION, runId, "apply"), server.adminToken(), "{}"),
                409,
                "task_not_planned");
        RawHttp.Reply cancel =
                tfe("POST", ApiPaths.fill(ApiPaths.TFE_RUN_ACTION, runId, "cancel"), server.adminToken(), "{}");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
        assertThat(tfe("GET", ApiPaths.fill(ApiPaths.TFE_RUN, runId), planner, null)
                        .json()
                        .path("data")
                        .path("attributes")
                        .path("status")
                        .asText())
                .isEqualTo("canceled");
    }

    @Test
    void aPlanLogIsFramedForTerraformsReaderSlicedByBytesAndOpenedByItsTicketAlone() {
        createWorkspace("logs");
        JsonNode version = uploadedVersion("logs", server.adminToken(), true);
        String runId = tfe(
                        "POST",
                        ApiPaths.TFE_RUNS,
                        server.adminToken(),
                        runBody("logs", version.path("id").asText(), "false"))
                .json()
                .path("data")
                .path("id")
                .asText();
        String planId = "plan-" + runId.substring("run-".length());
        JsonNode plan = tfe("GET", ApiPaths.fill(ApiPaths.TFE_PLAN, planId), server.adminToken(), null)
                .json()
                .path("data");
        assertThat(plan.path("attributes").path("status").asText()).isEqualTo("queued");
        String logUrl = plan.path("attributes").path("log-read-url").asText();
        String path = logUrl.substring(logUrl.indexOf(ApiPaths.TFE_PREFIX));
        RawHttp.Reply whole = tfe("GET", path + "?offset=0&limit=65536", server.adminToken(), null);
        assertThat(whole.body()).startsWith("\u0002iac-runner task ").doesNotContain("\u0003");
        RawHttp.Reply slice = tfe("GET", path + "?offset=1&limit=10", server.adminToken(), null);
        assertThat(slice.body()).isEqualTo(whole.body().substring(1, 11));
        assertRefused(tfe("GET", path + "?offset=-1", server.adminToken(), null), 400, "invalid_offset");
        assertRefused(tfe("GET", path + "?limit=0", server.adminToken(), null), 400, "invalid_limit");
        RawHttp.Reply withoutToken = raw.send("GET", path + "?offset=0", Map.of(), null);
        assertThat(withoutToken.body()).isEqualTo(whole.body());
        String otherPlan = path.replace(planId, "plan-t-0000000000000000");
        assertRefused(raw.send("GET", otherPlan, Map.of(), null), 404, "log_not_found");
        String forged = path.substring(0, path.lastIndexOf('/') + 1) + "AAAA";
        assertRefused(raw.send("GET", forged, Map.of(), null), 404, "log_not_found");
    }
}
