package io.iacrunner.server.httpbackend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Terraform's {@code http} backend as Terraform's client speaks it (its requests copied from what Terraform 1.11
 * sends: basic auth with the token as password, {@code Content-MD5}, {@code ?ID=}, {@code LOCK}/{@code UNLOCK} with its
 * lock info, {@code force-unlock} as an {@code UNLOCK} without a body), over the real server. The end-to-end test with
 * the real binary is {@code TerraformHttpBackendEndToEndTest} in cli.
 */
class HttpBackendTest {
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

    static String statePath(String ws) {
        return ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_STATE, ws);
    }

    static String lockPath(String ws) {
        return ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_LOCK, ws);
    }

    /** A request as Terraform sends it: basic auth with the token as password, the body's MD5. */
    static RawHttp.Reply terraform(String method, String path, String token, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (token != null) {
            headers.put(
                    "Authorization",
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString(("terraform:" + token).getBytes(StandardCharsets.UTF_8)));
        }
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        if (bytes != null) {
            headers.put("Content-Type", "application/json");
            headers.put("Content-MD5", md5(bytes));
        }
        return raw.send(method, path, headers, bytes);
    }

    static String md5(byte[] bytes) {
        try {
            return Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String lockInfo(String id) {
        return "{\"ID\":\"" + id + "\",\"Operation\":\"OperationTypeApply\",\"Info\":\"\",\"Who\":\"dev@desk\","
                + "\"Version\":\"1.11.4\",\"Created\":\"2026-12-02T17:22:49.213421556Z\",\"Path\":\"\"}";
    }

    static String state(long serial, String lineage, String marker) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("version", 4)
                .put("terraform_version", "1.11.4")
                .put("serial", serial)
                .put("lineage", lineage);
        s.putObject("outputs");
        s.putArray("resources").addObject().put("name", marker);
        return s.toString();
    }

    static RawHttp.Reply versions(String ws) {
        return raw.send(
                "GET", ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, ws), server.adminToken(), (String) null);
    }

    static WorkspaceView.Lock lockOf(String ws) {
        return server.workspace(ws).lock();
    }

    /** What a refusal must leave as it was: the workspace (its lock), its versions, its current state. */
    static List<String> snapshot(String ws) {
        return List.of(
                raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, ws), server.adminToken(), (String) null)
                        .body(),
                versions(ws).body(),
                raw.send("GET", statePath(ws), server.adminToken(), (String) null)
                        .body());
    }

    static TaskAssignment claimApply(String ws) {
        Map<String, String> labels = server.ownPool("pool-" + ws);
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        TaskView queued = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(ws, TaskAction.PLAN_APPLY, tf, null, null, labels, null, null),
                        TaskView.class);
        var agent = server.registerAgentInPool("agent-" + ws, labels.get("test"));
        PullResponse r = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(queued.taskId());
        return r.tasks().getFirst();
    }

    @Test
    void aLocalApplyLocksReadsWritesAndUnlocksAsTerraformDoes() throws Exception {
        String ws = "ws-local-apply";
        String token = server.userToken(Role.APPLY, ws);
        assertThat(terraform("GET", statePath(ws), token, null).status())
                .as("no state yet: Terraform reads 404 as empty")
                .isEqualTo(404);
        assertThat(terraform("LOCK", lockPath(ws), token, lockInfo("lock-1")).status())
                .isEqualTo(200);
        assertThat(lockOf(ws).terraformLockId()).isEqualTo("lock-1");
        assertThat(lockOf(ws).taskId()).isNull();
        assertThat(lockOf(ws).reason()).contains("local Terraform run", "dev@desk", "lock-1");

        String first = state(1, "lin-a", "one");
        RawHttp.Reply pushed = terraform("POST", statePath(ws) + "?ID=lock-1", token, first);
        assertThat(pushed.status()).as(pushed.body()).isEqualTo(200);
        assertThat(pushed.json().path("version").asInt()).isEqualTo(1);
        assertThat(pushed.json().path("pushed_by").asText()).contains("tok-");
        assertThat(pushed.json().path("task_id").isNull()).isTrue();
        RawHttp.Reply second = terraform("POST", statePath(ws) + "?ID=lock-1", token, state(2, "lin-a", "two"));
        assertThat(second.json().path("version").asInt()).isEqualTo(2);

        RawHttp.Reply read = terraform("GET", statePath(ws), token, null);
        assertThat(read.status()).isEqualTo(200);
        assertThat(WireJson.lenient().readTree(read.body()).path("serial").asLong())
                .isEqualTo(2);
        assertThat(terraform("UNLOCK", lockPath(ws), token, lockInfo("lock-1")).status())
                .isEqualTo(200);
        assertThat(lockOf(ws)).isNull();
        assertThat(terraform("UNLOCK", lockPath(ws), token, lockInfo("lock-1")).status())
                .as("released already (a retried request): no refusal")
                .isEqualTo(200);
        assertThat(server.admin()
                        .get(ApiPaths.AUDIT_EVENTS + "?limit=100", AuditEventList.class)
                        .events())
                .anySatisfy(e -> {
                    assertThat(e.kind()).isEqualTo("state_pushed");
                    assertThat(e.subject()).isEqualTo(ws);
                    assertThat(e.detail()).contains("version 2");
                });
    }

    @Test
    void aSecondLocalRunMeetsTheFirstsLockInfoAndCanNeitherWriteNorUnlock() {
        String ws = "ws-two-runs";
        String token = server.userToken(Role.APPLY, ws);
        assertThat(terraform("LOCK", lockPath(ws), token, lockInfo("first")).status())
                .isEqualTo(200);
        List<String> before = snapshot(ws);

        RawHttp.Reply locked = terraform("LOCK", lockPath(ws), token, lockInfo("second"));
        assertThat(locked.status()).isEqualTo(423);
        assertThat(locked.json().path("ID").asText())
                .as("Terraform prints the holder's ID")
                .isEqualTo("first");
        assertThat(locked.json().path("Who").asText()).isEqualTo("dev@desk");
        assertThat(locked.errorCode()).isEqualTo("workspace_locked");
        RawHttp.Reply write = terraform("POST", statePath(ws) + "?ID=second", token, state(1, "l", "x"));
        assertThat(write.status()).isEqualTo(409);
        assertThat(write.errorCode()).isEqualTo("lock_not_held");
        RawHttp.Reply unlock = terraform("UNLOCK", lockPath(ws), token, lockInfo("second"));
        assertThat(unlock.status()).isEqualTo(409);
        assertThat(unlock.json().path("ID").asText()).isEqualTo("first");
        RawHttp.Reply unlocked = terraform("POST", statePath(ws), token, state(1, "l", "x"));
        assertThat(unlocked.status())
                .as("a write naming no lock while one is held")
                .isEqualTo(423);
        assertThat(unlocked.errorCode()).isEqualTo("workspace_locked");
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);

        assertThat(terraform("LOCK", lockPath(ws), token, lockInfo("first")).status())
                .as("the holder asking again (a retried request) is granted")
                .isEqualTo(200);
    }

    @Test
    void aRunningPlanApplyHoldsTheLockALocalRunMeetsNamingTheTask() {
        String ws = "ws-platform-holds";
        TaskAssignment apply = claimApply(ws);
        String token = server.userToken(Role.APPLY, ws);
        List<String> before = snapshot(ws);

        RawHttp.Reply locked = terraform("LOCK", lockPath(ws), token, lockInfo("local"));
        assertThat(locked.status()).isEqualTo(423);
        assertThat(locked.json().path("ID").asText()).isEqualTo(apply.taskId());
        assertThat(locked.json().path("Who").asText()).contains("iac-runner task " + apply.taskId(), "on agent");
        assertThat(locked.json().path("Info").asText()).contains("running");
        assertThat(locked.json().path("Created").asText())
                .as("a time Terraform can read")
                .isNotBlank();
        assertThat(locked.json().path("error").path("message").asText()).contains("task " + apply.taskId());
        RawHttp.Reply write = terraform("POST", statePath(ws), token, state(1, "l", "x"));
        assertThat(write.status()).isEqualTo(423);
        assertThat(write.body()).contains(apply.taskId());

        RawHttp.Reply force = terraform("UNLOCK", lockPath(ws), server.adminToken(), null);
        assertThat(force.status())
                .as("force-unlock of an apply whose agent still runs it: cancel it instead")
                .isEqualTo(409);
        assertThat(force.errorCode()).isEqualTo("lock_held_by_running_task");
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);
    }

    @Test
    void aPlanApplyQueuedWhileALocalRunHoldsTheLockWaitsAndRunsOnceItIsReleased() {
        String ws = "ws-apply-waits";
        String token = server.userToken(Role.APPLY, ws);
        assertThat(terraform("LOCK", lockPath(ws), token, lockInfo("desk")).status())
                .isEqualTo(200);
        Map<String, String> labels = server.ownPool("pool-" + ws);
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        TaskView apply = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(ws, TaskAction.PLAN_APPLY, tf, null, null, labels, null, null),
                        TaskView.class);
        TaskView plan = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(ws, TaskAction.PLAN, tf, null, null, labels, null, null),
                        TaskView.class);
        var agent = server.registerAgentInPool("agent-" + ws, labels.get("test"));
        PullResponse whileLocked = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class);
        assertThat(whileLocked.tasks())
                .as("plans ignore the lock; the plan_apply waits")
                .extracting(TaskAssignment::taskId)
                .containsExactly(plan.taskId());

        assertThat(terraform("UNLOCK", lockPath(ws), token, lockInfo("desk")).status())
                .isEqualTo(200);
        var second = server.registerAgentInPool("agent-2-" + ws, labels.get("test"));
        PullResponse released = second.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(second.agentId(), 1, true, 0), PullResponse.class);
        assertThat(released.tasks()).extracting(TaskAssignment::taskId).containsExactly(apply.taskId());
        assertThat(lockOf(ws).taskId()).isEqualTo(apply.taskId());
        assertThat(lockOf(ws).terraformLockId()).isNull();
    }

    @Test
    void everyStateFollowsTheLineageAndSerialRules() {
        String ws = "ws-serials";
        String token = server.userToken(Role.APPLY, ws);
        assertThat(terraform("POST", statePath(ws), token, state(3, "lin", "a")).status())
                .isEqualTo(200);
        RawHttp.Reply again = terraform("POST", statePath(ws), token, state(3, "lin", "a"));
        assertThat(again.status()).as("the current state sent again (a retry)").isEqualTo(200);
        assertThat(again.json().path("version").asInt()).isEqualTo(1);
        List<String> before = snapshot(ws);

        RawHttp.Reply older = terraform("POST", statePath(ws), token, state(2, "lin", "b"));
        assertThat(older.status()).isEqualTo(409);
        assertThat(older.errorCode()).isEqualTo("state_conflict");
        assertThat(older.json().path("error").path("message").asText())
                .isEqualTo("serial 2 is not above the current serial 3");
        RawHttp.Reply same = terraform("POST", statePath(ws), token, state(3, "lin", "other content"));
        assertThat(same.errorCode()).isEqualTo("state_conflict");
        RawHttp.Reply lineage = terraform("POST", statePath(ws), token, state(9, "another", "c"));
        assertThat(lineage.status()).isEqualTo(409);
        assertThat(lineage.json().path("error").path("message").asText())
                .isEqualTo("lineage another differs from the workspace's lin");
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);

        assertThat(terraform("POST", statePath(ws), token, state(4, "lin", "d"))
                        .json()
                        .path("version")
                        .asInt())
                .isEqualTo(2);
    }

    @Test
    void forceUnlockIsForAdminsAndReleasesALocalRunsLock() {
        String ws = "ws-force";
        String apply = server.userToken(Role.APPLY, ws);
        assertThat(terraform("LOCK", lockPath(ws), apply, lockInfo("stuck")).status())
                .isEqualTo(200);
        List<String> before = snapshot(ws);
        RawHttp.Reply refused = terraform("UNLOCK", lockPath(ws), apply, null);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errorCode()).isEqualTo("forbidden");
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);

        String admin = server.userToken(Role.ADMIN, ws);
        assertThat(terraform("UNLOCK", lockPath(ws), admin, null).status()).isEqualTo(200);
        assertThat(lockOf(ws)).isNull();
        assertThat(server.admin()
                        .get(ApiPaths.AUDIT_EVENTS + "?limit=100", AuditEventList.class)
                        .events())
                .anySatisfy(e -> {
                    assertThat(e.kind()).isEqualTo("workspace_unlocked");
                    assertThat(e.detail()).isEqualTo("terraform force-unlock");
                });
        RawHttp.Reply late = terraform("POST", statePath(ws) + "?ID=stuck", apply, state(1, "l", "x"));
        assertThat(late.status())
                .as("the run whose lock was taken from it writes nothing")
                .isEqualTo(409);
        assertThat(late.errorCode()).isEqualTo("lock_not_held");
        assertThat(late.json().path("error").path("message").asText()).contains("it was unlocked");
    }

    @Test
    void theWorkspaceUnlockAndRollbackSeeALocalRunsLock() {
        String ws = "ws-unlock-cli";
        String token = server.userToken(Role.APPLY, ws);
        terraform("POST", statePath(ws), token, state(1, "l", "a"));
        terraform("POST", statePath(ws), token, state(2, "l", "b"));
        assertThat(terraform("LOCK", lockPath(ws), token, lockInfo("desk")).status())
                .isEqualTo(200);
        RawHttp.Reply rollback = raw.send(
                "POST", ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, ws), server.adminToken(), "{\"to\": 1}");
        assertThat(rollback.status()).isEqualTo(409);
        assertThat(rollback.json().path("error").path("message").asText())
                .contains("a local Terraform run (lock ID desk)");
        RawHttp.Reply unlock = raw.send(
                "POST", ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, ws), server.adminToken(), "{\"force\": true}");
        assertThat(unlock.status()).isEqualTo(200);
        assertThat(lockOf(ws)).isNull();
    }

    @Test
    void callersWithoutTheRightTokenAreRefusedAsTerraformUnderstandsAndNothingChanges() {
        String ws = "ws-auth";
        String apply = server.userToken(Role.APPLY, ws);
        terraform("POST", statePath(ws), apply, state(1, "l", "a"));
        List<String> before = snapshot(ws);
        String read = server.userToken(Role.READ, ws);
        String elsewhere = server.userToken(Role.ADMIN, "ws-somewhere-else");

        assertThat(terraform("GET", statePath(ws), null, null).status()).isEqualTo(401);
        assertThat(terraform("GET", statePath(ws), "not-a-token", null).status())
                .isEqualTo(401);
        assertThat(raw.send("GET", statePath(ws), Map.of("Authorization", "Basic !!!"), null)
                        .status())
                .isEqualTo(401);
        String noPassword = Base64.getEncoder().encodeToString("terraform:".getBytes(StandardCharsets.UTF_8));
        RawHttp.Reply empty = raw.send("GET", statePath(ws), Map.of("Authorization", "Basic " + noPassword), null);
        assertThat(empty.status()).isEqualTo(401);
        assertThat(empty.json().path("error").path("message").asText()).contains("TF_HTTP_PASSWORD");
        assertThat(terraform("GET", statePath(ws), elsewhere, null).status())
                .as("403, not 404: Terraform would read a 404 as an empty state")
                .isEqualTo(403);
        assertThat(terraform("GET", statePath(ws), read, null).status()).isEqualTo(200);
        assertThat(terraform("LOCK", lockPath(ws), read, lockInfo("r")).status())
                .isEqualTo(403);
        assertThat(terraform("POST", statePath(ws), read, state(2, "l", "b")).status())
                .isEqualTo(403);
        assertThat(terraform("POST", statePath(ws), elsewhere, state(2, "l", "b"))
                        .status())
                .isEqualTo(403);
        assertThat(terraform("LOCK", lockPath("ws-auth-new"), elsewhere, lockInfo("r"))
                        .status())
                .as("a token without a role creates no workspace")
                .isEqualTo(403);
        assertThat(raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, "ws-auth-new"), server.adminToken(), (String) null)
                        .status())
                .isEqualTo(404);
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);
    }

    @Test
    void malformedBodiesAreRefusedPreciselyAndChangeNothing() {
        String ws = "ws-malformed";
        String token = server.userToken(Role.APPLY, ws);
        terraform("POST", statePath(ws), token, state(1, "l", "a"));
        List<String> before = snapshot(ws);

        record Case(String method, String path, String body, String code) {}
        for (Case c : List.of(
                new Case("POST", statePath(ws), "{not json", "malformed_json"),
                new Case("POST", statePath(ws), "", "missing_body"),
                new Case("POST", statePath(ws), "[1, 2]", "invalid_field"),
                new Case("POST", statePath(ws), "{\"version\": 3, \"serial\": 2, \"lineage\": \"l\"}", "invalid_state"),
                new Case(
                        "POST", statePath(ws), "{\"version\": 4, \"serial\": -1, \"lineage\": \"l\"}", "invalid_state"),
                new Case("POST", statePath(ws), "{\"version\": 4, \"serial\": 2}", "invalid_state"),
                new Case("LOCK", lockPath(ws), "{not json", "malformed_json"),
                new Case("LOCK", lockPath(ws), "", "missing_body"),
                new Case("LOCK", lockPath(ws), "{\"Operation\": \"OperationTypeApply\"}", "invalid_lock_info"),
                new Case("LOCK", lockPath(ws), "{\"ID\": 7}", "invalid_lock_info"),
                new Case("LOCK", lockPath(ws), "{\"ID\": \"a\\u0000b\"}", "invalid_lock_info"),
                new Case("LOCK", lockPath(ws), "{\"ID\": \"" + "x".repeat(257) + "\"}", "invalid_lock_info"),
                new Case(
                        "LOCK",
                        lockPath(ws),
                        "{\"ID\": \"big\", \"Info\": \"" + "x".repeat(17_000) + "\"}",
                        "invalid_lock_info"),
                new Case("UNLOCK", lockPath(ws), "{\"Who\": \"me\"}", "invalid_lock_info"))) {
            RawHttp.Reply reply = terraform(c.method(), c.path(), token, c.body());
            assertThat(reply.status()).as(c + ": " + reply.body()).isEqualTo(400);
            assertThat(reply.errorCode()).as(c + ": " + reply.body()).isEqualTo(c.code());
        }

        RawHttp.Reply badName = terraform("LOCK", lockPath("bad name!"), server.adminToken(), lockInfo("x"));
        assertThat(badName.errorCode()).as(badName.body()).isEqualTo("invalid_workspace_id");

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + token);
        headers.put("Content-Type", "application/json");
        headers.put("Content-MD5", md5("something else".getBytes(StandardCharsets.UTF_8)));
        RawHttp.Reply corrupt =
                raw.send("POST", statePath(ws), headers, state(2, "l", "b").getBytes(StandardCharsets.UTF_8));
        assertThat(corrupt.status()).isEqualTo(400);
        assertThat(corrupt.errorCode()).isEqualTo("content_md5_mismatch");
        assertThat(snapshot(ws)).as("nothing changed").isEqualTo(before);
    }
}
