package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
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
import io.iacrunner.server.IacServer;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.testing.WsFrames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
 *
 * <p>The endpoints are the ones the server actually serves ({@link IacServer#routes()}): a route without a row here
 * fails as a case of its own, and so does a row for a route no longer served.
 */
class PermissionMatrixTest {
    static final String WS = "ws-matrix";
    static final String OTHER_WS = "ws-matrix-other";

    /** What an endpoint needs. */
    enum Need {
        PUBLIC,
        READ,
        PLAN,
        APPLY,
        ADMIN,
        ANY_USER,
        GLOBAL_ADMIN,
        /** An owner of the organisation (default), or the site admin: its users, teams, grants, pools and tokens. */
        OWNER,
        AGENT,
        JOB,
        POOL
    }

    /**
     * One call of a served route: its path template filled with {@code values}, then {@code query}. For a WebSocket
     * ({@code WS}) the body is the one message sent once connected. {@code creates}: the call may create its
     * workspace, so a caller without a role there gets 403, not 404.
     */
    record Endpoint(
            String name,
            String method,
            String template,
            List<String> values,
            String query,
            String body,
            Need need,
            boolean creates) {
        Endpoint(String name, String method, String template, List<String> values, String body, Need need) {
            this(name, method, template, values, "", body, need, false);
        }

        /** The case a served route without a row becomes: it fails, naming the route. */
        static Endpoint unlisted(RouteTable.Route route) {
            return new Endpoint("no row for " + route, route.method(), route.path(), List.of(), "", null, null, false);
        }

        Endpoint creating() {
            return new Endpoint(name, method, template, values, query, body, need, true);
        }

        Endpoint withQuery(String query) {
            return new Endpoint(name, method, template, values, query, body, need, creates);
        }

        RouteTable.Route route() {
            return new RouteTable.Route(method, template);
        }

        String path() {
            return ApiPaths.fill(template, values.toArray(String[]::new)) + query;
        }

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

    static final Caller NOBODY = new Caller("nobody", null, "none", null);

    static TestServer server;
    static RawHttp raw;
    static TaskAssignment apply;
    static List<Caller> callers;
    static List<Endpoint> endpoints;

    @BeforeAll
    static void start() throws Exception {
        // The simulated agents never ping: a lease longer than the matrix runs (minutes, on a loaded machine) keeps
        // their tasks theirs, so a refusal's "nothing changed" never sees a recovery that time alone caused.
        server = TestServer.start(c -> c.pingInterval(Duration.ofSeconds(60)).agentLease(Duration.ofHours(1)));
        raw = new RawHttp(server.baseUrl());
        var agent = server.registerAgent("matrix");
        apply = claim(agent, WS, TaskAction.PLAN_APPLY);
        var other = server.registerAgent("matrix-other");
        TaskAssignment otherTask = claim(other, OTHER_WS, TaskAction.PLAN);
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, WS, "region"),
                        new SetVariableRequest(TextNode.valueOf("eu"), false),
                        VariableView.class);

        String read = server.userToken(Role.READ, WS);
        String revoked = server.userToken(Role.READ, WS);
        String revokedId = server.admin()
                .get(ApiPaths.TOKENS, TokenList.class)
                .tokens()
                .getLast()
                .tokenId();
        server.admin().post(ApiPaths.fill(ApiPaths.TOKEN_REVOKE, revokedId), Map.of(), Object.class);
        String expired = server.admin()
                .post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("expires", null, Map.of(WS, Role.ADMIN), null, 1L),
                        TokenCreated.class)
                .token();
        String agentToken = agent.registration().agentToken();
        MatrixOrgs org = MatrixOrgs.create(server, WS);
        callers = List.of(
                new Caller("no token", null, "none", null),
                new Caller("garbage", "garbage", "none", null),
                new Caller(
                        "agent token with a bad signature",
                        agentToken.substring(0, agentToken.length() - 4)
                                + (agentToken.endsWith("AAAA") ? "BBBB" : "AAAA"),
                        "none",
                        null),
                new Caller(
                        "user token with a wrong secret",
                        read.substring(0, read.length() - 4) + (read.endsWith("AAAA") ? "BBBB" : "AAAA"),
                        "none",
                        null),
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
                new Caller("job token of the task", apply.jobToken(), "job", null),
                // Organisations: the callers above are of 'default' (where WS is) or the site admin.
                new Caller("owner of another organisation", org.strangerOwner(), "stranger", null),
                new Caller("member without a grant", org.memberToken(null), "user", null),
                new Caller("team member with read", org.memberToken(Role.READ), "user", Role.READ),
                new Caller("team member with plan", org.memberToken(Role.PLAN), "user", Role.PLAN),
                new Caller("team member with apply", org.memberToken(Role.APPLY), "user", Role.APPLY),
                new Caller("team member with admin", org.memberToken(Role.ADMIN), "user", Role.ADMIN),
                new Caller("organisation owner", org.owner(), "owner", Role.ADMIN),
                new Caller("pool token of another organisation", org.strangerPoolToken(), "pool", null));
        server.clock().advance(Duration.ofSeconds(2)); // the expiring token's second is over
        // Canceled while queued: an allowed viewer gets its end frame at once, proof it got past authorization.
        String finished = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(WS, TaskAction.PLAN, tfJson(), null, null, null, null, null),
                        TaskView.class)
                .taskId();
        server.admin().post(ApiPaths.fill(ApiPaths.TASK_CANCEL, finished), new CancelRequest(false), TaskView.class);
        // Stays queued (no agent pulls with room for it) until the first caller allowed to cancel it does.
        String plan = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(WS, TaskAction.PLAN, tfJson(), null, null, null, null, null),
                        TaskView.class)
                .taskId();

        String task = apply.taskId();
        String tf = "{\"workspace_id\": \"" + WS + "\", \"action\": \"%s\", \"tf_json\": {\"resource\": {}}}";
        // Terraform's cloud block: a configuration version of WS (not uploaded, so a run of it goes no further).
        String tfeWs = "ws-default:" + WS;
        String cv = raw.send(
                        "POST",
                        ApiPaths.fill(ApiPaths.TFE_CONFIG_VERSIONS, tfeWs),
                        server.adminToken(),
                        "{\"data\": {\"type\": \"configuration-versions\", \"attributes\": {\"speculative\": true}}}")
                .json()
                .path("data")
                .path("id")
                .asText();
        String tfeRun = "{\"data\": {\"type\": \"runs\", \"relationships\": {\"configuration-version\": {\"data\":"
                + " {\"type\": \"configuration-versions\", \"id\": \"" + cv + "\"}}, \"workspace\": {\"data\":"
                + " {\"type\": \"workspaces\", \"id\": \"" + tfeWs + "\"}}}}}";
        endpoints = List.of(
                new Endpoint("health", "GET", ApiPaths.HEALTH, List.of(), null, Need.PUBLIC),
                new Endpoint("readiness", "GET", ApiPaths.READY, List.of(), null, Need.PUBLIC),
                new Endpoint("metrics", "GET", ApiPaths.METRICS, List.of(), null, Need.PUBLIC),
                new Endpoint("jwks", "GET", ApiPaths.JWKS, List.of(), null, Need.PUBLIC),
                new Endpoint("terraform discovery", "GET", ApiPaths.TERRAFORM_DISCOVERY, List.of(), null, Need.PUBLIC),
                new Endpoint("terraform cloud ping", "GET", ApiPaths.TFE_PING, List.of(), null, Need.PUBLIC),
                // Terraform's cloud block: the workspace, its runs and state as the rest of the API has them; the
                // upload and log URLs carry their own credential, since Terraform sends no token there.
                new Endpoint(
                        "tfe: entitlements", "GET", ApiPaths.TFE_ENTITLEMENTS, List.of("default"), null, Need.ANY_USER),
                new Endpoint(
                        "tfe: workspace", "GET", ApiPaths.TFE_ORG_WORKSPACE, List.of("default", WS), null, Need.READ),
                new Endpoint(
                        "tfe: create workspace",
                        "POST",
                        ApiPaths.TFE_ORG_WORKSPACES,
                        List.of("default"),
                        "{\"data\": {\"type\": \"workspaces\", \"attributes\": {\"name\": \"" + WS + "\"}}}",
                        Need.PLAN),
                new Endpoint("tfe: workspace by id", "GET", ApiPaths.TFE_WORKSPACE, List.of(tfeWs), null, Need.READ),
                new Endpoint("tfe: current state", "GET", ApiPaths.TFE_CURRENT_STATE, List.of(tfeWs), null, Need.READ),
                new Endpoint(
                        "tfe: current outputs", "GET", ApiPaths.TFE_CURRENT_OUTPUTS, List.of(tfeWs), null, Need.READ),
                new Endpoint(
                        "tfe: state download",
                        "GET",
                        ApiPaths.TFE_STATE_DOWNLOAD,
                        List.of("sv-default:" + WS + ":1"),
                        null,
                        Need.READ),
                new Endpoint(
                        "tfe: create configuration version",
                        "POST",
                        ApiPaths.TFE_CONFIG_VERSIONS,
                        List.of(tfeWs),
                        "{\"data\": {\"type\": \"configuration-versions\", \"attributes\": {\"speculative\": true}}}",
                        Need.PLAN),
                new Endpoint(
                        "tfe: configuration version", "GET", ApiPaths.TFE_CONFIG_VERSION, List.of(cv), null, Need.READ),
                new Endpoint(
                        "tfe: upload",
                        "PUT",
                        ApiPaths.TFE_CONFIG_UPLOAD,
                        List.of(cv, "not-its-secret"),
                        "not a tar.gz",
                        Need.PUBLIC),
                new Endpoint("tfe: create run", "POST", ApiPaths.TFE_RUNS, List.of(), tfeRun, Need.PLAN),
                new Endpoint("tfe: run", "GET", ApiPaths.TFE_RUN, List.of("run-" + task), null, Need.READ),
                new Endpoint(
                        "tfe: run events", "GET", ApiPaths.TFE_RUN_EVENTS, List.of("run-" + task), null, Need.READ),
                new Endpoint(
                        "tfe: confirm",
                        "POST",
                        ApiPaths.TFE_RUN_ACTION,
                        List.of("run-" + task, "apply"),
                        "{}",
                        Need.APPLY),
                new Endpoint("tfe: plan", "GET", ApiPaths.TFE_PLAN, List.of("plan-" + task), null, Need.READ),
                new Endpoint("tfe: apply", "GET", ApiPaths.TFE_APPLY, List.of("apply-" + task), null, Need.READ),
                new Endpoint(
                        "tfe: plan log",
                        "GET",
                        ApiPaths.TFE_PLAN_LOG,
                        List.of("plan-" + task, "not-a-ticket"),
                        null,
                        Need.PUBLIC),
                new Endpoint(
                        "tfe: apply log",
                        "GET",
                        ApiPaths.TFE_APPLY_LOG,
                        List.of("apply-" + task, "not-a-ticket"),
                        null,
                        Need.PUBLIC),
                new Endpoint("whoami", "GET", ApiPaths.WHOAMI, List.of(), null, Need.ANY_USER),
                new Endpoint("WebSocket ticket", "POST", ApiPaths.WS_TICKETS, List.of(), "{}", Need.ANY_USER),
                new Endpoint("list tasks", "GET", ApiPaths.TASKS, List.of(), null, Need.ANY_USER),
                new Endpoint("list workspaces", "GET", ApiPaths.WORKSPACES, List.of(), null, Need.ANY_USER),
                new Endpoint("show task", "GET", ApiPaths.TASK, List.of(task), null, Need.READ),
                new Endpoint("log page", "GET", ApiPaths.TASK_LOGS, List.of(task), null, Need.READ),
                new Endpoint("log text", "GET", ApiPaths.TASK_LOG_TEXT, List.of(task), null, Need.READ),
                new Endpoint("live log", "WS", ApiPaths.WS_VIEWER, List.of(), null, Need.READ)
                        .withQuery("?task_id=" + finished),
                new Endpoint("show workspace", "GET", ApiPaths.WORKSPACE, List.of(WS), null, Need.READ),
                new Endpoint("current state", "GET", ApiPaths.WORKSPACE_STATE, List.of(WS), null, Need.READ),
                new Endpoint("state versions", "GET", ApiPaths.WORKSPACE_STATE_VERSIONS, List.of(WS), null, Need.READ),
                new Endpoint("queue a plan", "POST", ApiPaths.TASKS, List.of(), tf.formatted("plan"), Need.PLAN)
                        .creating(),
                new Endpoint(
                                "queue a plan_apply",
                                "POST",
                                ApiPaths.TASKS,
                                List.of(),
                                tf.formatted("plan_apply"),
                                Need.APPLY)
                        .creating(),
                // Who may queue a run may cancel it (docs/decisions.md).
                new Endpoint(
                        "cancel a plan", "POST", ApiPaths.TASK_CANCEL, List.of(plan), "{\"force\": false}", Need.PLAN),
                new Endpoint(
                        "cancel a plan_apply",
                        "POST",
                        ApiPaths.TASK_CANCEL,
                        List.of(task),
                        "{\"force\": false}",
                        Need.APPLY),
                // Who may apply may review a plan, or apply a reviewed plan task's plan.
                new Endpoint("confirm a plan", "POST", ApiPaths.TASK_CONFIRM, List.of(task), "{}", Need.APPLY),
                new Endpoint("discard a plan", "POST", ApiPaths.TASK_DISCARD, List.of(task), "{}", Need.APPLY),
                new Endpoint(
                        "apply a plan task's plan",
                        "POST",
                        ApiPaths.TASK_APPLY_PLAN,
                        List.of(finished),
                        "{}",
                        Need.APPLY),
                new Endpoint("list variables", "GET", ApiPaths.WORKSPACE_VARIABLES, List.of(WS), null, Need.ADMIN),
                new Endpoint(
                                "set a variable",
                                "PUT",
                                ApiPaths.WORKSPACE_VARIABLE,
                                List.of(WS, "region"),
                                "{\"value\": \"us\"}",
                                Need.ADMIN)
                        .creating(),
                new Endpoint(
                        "delete a variable",
                        "DELETE",
                        ApiPaths.WORKSPACE_VARIABLE,
                        List.of(WS, "nothing"),
                        null,
                        Need.ADMIN),
                // A documentation address (TEST-NET-3): public, so no --notify-allow is needed, and never reached.
                new Endpoint(
                                "add a notification",
                                "POST",
                                ApiPaths.WORKSPACE_NOTIFICATIONS,
                                List.of(WS),
                                "{\"url\": \"http://203.0.113.5/hook\", \"events\": [\"errored\"]}",
                                Need.ADMIN)
                        .creating(),
                new Endpoint(
                        "list notifications", "GET", ApiPaths.WORKSPACE_NOTIFICATIONS, List.of(WS), null, Need.ADMIN),
                new Endpoint(
                        "remove a notification",
                        "DELETE",
                        ApiPaths.WORKSPACE_NOTIFICATION,
                        List.of(WS, "n-nothing"),
                        null,
                        Need.ADMIN),
                new Endpoint(
                        "notification deliveries",
                        "GET",
                        ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES,
                        List.of(WS),
                        null,
                        Need.ADMIN),
                new Endpoint(
                                "workspace settings",
                                "PUT",
                                ApiPaths.WORKSPACE,
                                List.of(WS),
                                "{\"terraform_version\": null}",
                                Need.ADMIN)
                        .creating(),
                new Endpoint("unlock", "POST", ApiPaths.WORKSPACE_UNLOCK, List.of(WS), "{\"force\": true}", Need.ADMIN),
                new Endpoint(
                        "rollback", "POST", ApiPaths.WORKSPACE_STATE_ROLLBACK, List.of(WS), "{\"to\": 1}", Need.ADMIN),
                // Terraform's http backend: a caller without a role is refused with 403 wherever it may not read,
                // since Terraform would take a 404 for "no state yet" (so `.creating()`, which expects just that).
                new Endpoint(
                                "terraform: state",
                                "GET",
                                ApiPaths.WORKSPACE_TERRAFORM_STATE,
                                List.of(WS),
                                null,
                                Need.READ)
                        .creating(),
                new Endpoint(
                                "terraform: write state",
                                "POST",
                                ApiPaths.WORKSPACE_TERRAFORM_STATE,
                                List.of(WS),
                                "{\"version\": 4, \"serial\": 1, \"lineage\": \"l\"}",
                                Need.APPLY)
                        .creating(),
                new Endpoint(
                                "terraform: lock",
                                "LOCK",
                                ApiPaths.WORKSPACE_TERRAFORM_LOCK,
                                List.of(WS),
                                "{\"ID\": \"matrix\"}",
                                Need.APPLY)
                        .creating(),
                new Endpoint(
                                "terraform: unlock",
                                "UNLOCK",
                                ApiPaths.WORKSPACE_TERRAFORM_LOCK,
                                List.of(WS),
                                "{\"ID\": \"matrix\"}",
                                Need.APPLY)
                        .creating(),
                new Endpoint(
                                "terraform: force-unlock",
                                "UNLOCK",
                                ApiPaths.WORKSPACE_TERRAFORM_LOCK,
                                List.of(WS),
                                null,
                                Need.ADMIN)
                        .creating(),
                // Organisations: the site admin creates and changes them and shares pools with them; an owner (the
                // site admin among them) manages users, teams and grants; any user lists those it belongs to.
                new Endpoint("list organisations", "GET", ApiPaths.ORGS, List.of(), null, Need.ANY_USER),
                new Endpoint(
                        "create an organisation",
                        "POST",
                        ApiPaths.ORGS,
                        List.of(),
                        "{\"org_id\": \"matrix-org\"}",
                        Need.GLOBAL_ADMIN),
                new Endpoint("show an organisation", "GET", ApiPaths.ORG, List.of("default"), null, Need.ANY_USER),
                new Endpoint(
                        "change an organisation",
                        "PUT",
                        ApiPaths.ORG,
                        List.of("default"),
                        "{\"weight\": 1}",
                        Need.GLOBAL_ADMIN),
                new Endpoint("list users", "GET", ApiPaths.ORG_USERS, List.of("default"), null, Need.OWNER),
                new Endpoint(
                        "create a user",
                        "POST",
                        ApiPaths.ORG_USERS,
                        List.of("default"),
                        "{\"name\": \"matrix-user\"}",
                        Need.OWNER),
                new Endpoint("list teams", "GET", ApiPaths.ORG_TEAMS, List.of("default"), null, Need.OWNER),
                new Endpoint(
                        "create a team",
                        "POST",
                        ApiPaths.ORG_TEAMS,
                        List.of("default"),
                        "{\"name\": \"matrix-team\"}",
                        Need.OWNER),
                new Endpoint(
                        "add a team member",
                        "POST",
                        ApiPaths.ORG_TEAM_MEMBERS,
                        List.of("default", "matrix-team"),
                        "{\"name\": \"matrix-user\"}",
                        Need.OWNER),
                new Endpoint(
                        "grant a team a role",
                        "POST",
                        ApiPaths.ORG_TEAM_GRANTS,
                        List.of("default", "matrix-team"),
                        "{\"workspace\": \"" + OTHER_WS + "\", \"role\": \"read\"}",
                        Need.OWNER),
                new Endpoint(
                        "share a pool",
                        "POST",
                        ApiPaths.POOL_SHARES,
                        List.of("default-pool"),
                        "{\"name\": \"matrix-org\"}",
                        Need.GLOBAL_ADMIN),
                new Endpoint("list agents", "GET", ApiPaths.AGENTS, List.of(), null, Need.GLOBAL_ADMIN),
                new Endpoint("list pools", "GET", ApiPaths.POOLS, List.of(), null, Need.OWNER),
                new Endpoint(
                        "list a pool's grants", "GET", ApiPaths.POOL_GRANTS, List.of("default-pool"), null, Need.OWNER),
                new Endpoint(
                        "choose a pool's workspaces",
                        "PUT",
                        ApiPaths.POOL_GRANTS,
                        List.of("default-pool"),
                        "{\"workspaces\": null}",
                        Need.OWNER),
                new Endpoint("show pool", "GET", ApiPaths.POOL, List.of("default-pool"), null, Need.OWNER),
                new Endpoint(
                        "set pool",
                        "PUT",
                        ApiPaths.POOL,
                        List.of("default-pool"),
                        "{\"pool_id\": \"default-pool\", \"max_plan_concurrency\": 3, \"allow_apply_concurrent\": false, \"labels\": {}}",
                        Need.OWNER),
                new Endpoint(
                        "issue a pool token", "POST", ApiPaths.POOL_TOKENS, List.of("default-pool"), "{}", Need.OWNER),
                new Endpoint(
                        "create a token",
                        "POST",
                        ApiPaths.TOKENS,
                        List.of(),
                        "{\"workspaces\": {\"" + WS + "\": \"read\"}}",
                        Need.GLOBAL_ADMIN),
                new Endpoint("list tokens", "GET", ApiPaths.TOKENS, List.of(), null, Need.OWNER),
                new Endpoint(
                        "revoke a token",
                        "POST",
                        ApiPaths.TOKEN_REVOKE,
                        List.of("tok-0000000000000000"),
                        "{}",
                        Need.GLOBAL_ADMIN),
                new Endpoint(
                        "rotate the signing key",
                        "POST",
                        ApiPaths.SIGNING_KEY_ROTATE,
                        List.of(),
                        "{}",
                        Need.GLOBAL_ADMIN),
                new Endpoint("audit events", "GET", ApiPaths.AUDIT_EVENTS, List.of(), null, Need.GLOBAL_ADMIN),
                new Endpoint(
                                "an organisation's audit events",
                                "GET",
                                ApiPaths.AUDIT_EVENTS,
                                List.of(),
                                null,
                                Need.OWNER)
                        .withQuery("?org=default"),
                new Endpoint(
                        "register an agent",
                        "POST",
                        ApiPaths.AGENT_REGISTER,
                        List.of(),
                        "{\"name\": \"n\", \"version\": \"v\", \"hostname\": \"h\"}",
                        Need.POOL),
                new Endpoint(
                        "ping",
                        "POST",
                        ApiPaths.AGENT_PING,
                        List.of(),
                        "{\"current_tasks\": [\"" + task + "\"]}",
                        Need.AGENT),
                new Endpoint(
                        "pull",
                        "POST",
                        ApiPaths.TASK_PULL,
                        List.of(),
                        "{\"free_plan_slots\": 0, \"can_take_apply\": false, \"wait_seconds\": 0}",
                        Need.AGENT),
                new Endpoint(
                        "job token", "POST", ApiPaths.TASK_JOB_TOKEN, List.of(task), "{\"attempt\": 1}", Need.AGENT),
                new Endpoint(
                        "deregister",
                        "POST",
                        ApiPaths.AGENT_DEREGISTER,
                        List.of(),
                        "{}",
                        Need.AGENT), // the last the agent does
                new Endpoint(
                        "phase",
                        "POST",
                        ApiPaths.TASK_PHASE,
                        List.of(task),
                        "{\"attempt\": 1, \"phase\": \"planning\"}",
                        Need.JOB),
                new Endpoint(
                        "plan summary",
                        "POST",
                        ApiPaths.TASK_PLAN,
                        List.of(task),
                        "{\"attempt\": 1, \"summary\": {\"add\": [], \"change\": [], \"destroy\": []}}",
                        Need.JOB),
                new Endpoint(
                        "log upload",
                        "POST",
                        ApiPaths.TASK_LOGS,
                        List.of(task),
                        "{\"attempt\": 1, \"first_seq\": 0, \"lines\": []}",
                        Need.JOB),
                new Endpoint(
                                "log upload channel",
                                "WS",
                                ApiPaths.WS_AGENT_LOGS,
                                List.of(),
                                "{\"attempt\": 1, \"first_seq\": 0, \"lines\": []}",
                                Need.JOB)
                        .withQuery("?task_id=" + task + "&attempt=1"),
                new Endpoint(
                        "state upload",
                        "PUT",
                        ApiPaths.TASK_STATE,
                        List.of(task),
                        "{\"attempt\": 1, \"state\": {\"version\": 4,"
                                + " \"serial\": 1, \"lineage\": \"l\", \"terraform_version\": \"1.11.4\", \"outputs\": {}, \"resources\": []}}",
                        Need.JOB),
                new Endpoint(
                        "plan upload",
                        "PUT",
                        ApiPaths.TASK_PLAN_FILE,
                        List.of(task),
                        "{\"attempt\": 1, \"sha256\": \"" + "0".repeat(64) + "\", \"bundle\": \"AA==\"}",
                        Need.JOB),
                new Endpoint("plan download", "GET", ApiPaths.TASK_PLAN_FILE, List.of(task), null, Need.JOB)
                        .withQuery("?attempt=1"),
                new Endpoint(
                        "hand back",
                        "POST",
                        ApiPaths.TASK_HAND_BACK,
                        List.of(task),
                        "{\"attempt\": 1, \"reason\": \"full\"}",
                        Need.JOB),
                new Endpoint(
                        "result",
                        "POST",
                        ApiPaths.TASK_RESULT,
                        List.of(task),
                        "{\"attempt\": 1, \"status\": \"succeeded\", \"exit_code\": 0, \"log_lines\": 0}",
                        Need.JOB));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static ObjectNode tfJson() {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        return tf;
    }

    static TaskAssignment claim(TestServer.RegisteredAgent agent, String workspace, TaskAction action) {
        ObjectNode tf = tfJson();
        Map<String, String> labels = server.ownPool("pool-" + workspace);
        var own = server.registerAgentInPool(agent.registration().agentId() + "-in-" + workspace, labels.get("test"));
        TaskView queued = server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                        TaskView.class);
        PullResponse r =
                own.client().post(ApiPaths.TASK_PULL, new PullRequest(own.agentId(), 1, true, 0), PullResponse.class);
        assertThat(r.tasks()).extracting(TaskAssignment::taskId).containsExactly(queued.taskId());
        return r.tasks().getFirst();
    }

    /** The kinds of user tokens: of before organisations and team members, owners of this and of another one. */
    static final java.util.Set<String> USERS = java.util.Set.of("user", "global", "owner", "stranger");

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
            case OWNER -> {
                if (c.kind().equals("global") || c.kind().equals("owner")) yield 0;
                // Another organisation's owner may not even learn that this one exists.
                yield c.kind().equals("stranger") ? 404 : 403;
            }
            case ANY_USER -> USERS.contains(c.kind()) ? 0 : 403;
            case READ, PLAN, APPLY, ADMIN -> {
                if (c.kind().equals("global") || c.kind().equals("owner")) yield 0;
                if (!c.kind().equals("user") && !c.kind().equals("stranger")) yield 403;
                if (c.role() == null) yield e.creates() ? 403 : 404; // learns nothing about a workspace it may not see
                yield c.role().includes(Role.valueOf(e.need().name())) ? 0 : 403;
            }
        };
    }

    /**
     * Every served route, each with the rows for it against every caller; a served route without a row is a case of
     * its own (which fails). The rows run in this class's order, since some calls change what later ones meet.
     */
    static Stream<Arguments> matrix() {
        List<Arguments> rows = new ArrayList<>();
        for (RouteTable.Route route : server.server().routes()) {
            if (endpoints.stream().noneMatch(e -> e.route().equals(route)))
                rows.add(Arguments.of(Endpoint.unlisted(route), NOBODY));
        }
        for (Endpoint e : endpoints) {
            for (Caller c : callers) rows.add(Arguments.of(e, c));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} by {1}")
    @MethodSource("matrix")
    void everyEndpointAnswersEveryCallerAsTheRulesSay(Endpoint e, Caller c) throws Exception {
        assertThat(e.need())
                .as("%s is served but has no row in this matrix: add one saying who may call it", e.route())
                .isNotNull();
        assertThat(server.server().routes())
                .as("row '%s' is for %s, which the server does not serve", e, e.route())
                .contains(e.route());
        int expected = expected(e, c);
        Map<String, String> before = expected == 0 ? null : snapshot();

        RawHttp.Reply reply =
                e.method().equals("WS") ? connect(e, c.token()) : raw.send(e.method(), e.path(), c.token(), e.body());

        if (expected == 0) {
            assertThat(reply.status()).as(reply.body()).isNotIn(401, 403);
            if (reply.status() == 404)
                assertThat(reply.errorCode()).as(reply.body()).isNotIn("workspace_not_found", "task_not_found");
            return;
        }
        assertThat(reply.status()).as(reply.body()).isEqualTo(expected);
        assertThat(reply.errorCode())
                .isEqualTo(
                        switch (expected) {
                            case 401 -> "unauthorized";
                            case 403 -> "forbidden";
                            default ->
                                e.need() == Need.OWNER
                                        ? "org_not_found"
                                        : e.template().contains("{task_id}")
                                                        || e.template().matches(".*\\{(run|plan|apply)_id}.*")
                                                        || e.query().contains("task_id=")
                                                ? "task_not_found"
                                                : "workspace_not_found";
                        });
        assertThat(snapshot()).as("nothing changed").isEqualTo(before);
    }

    /** A token with roles in one workspace sees its tasks only, and a workspace it may not see answers as absent. */
    @Test
    void aWorkspaceTokenListsOnlyItsWorkspacesTasks() {
        String otherAdmin = server.userToken(Role.ADMIN, OTHER_WS);
        RawHttp.Reply all = raw.send("GET", ApiPaths.TASKS, otherAdmin, (String) null);
        assertThat(all.json().path("tasks"))
                .isNotEmpty()
                .allSatisfy(t -> assertThat(t.path("workspace_id").asText()).isEqualTo(OTHER_WS));
        RawHttp.Reply filtered = raw.send("GET", ApiPaths.TASKS + "?workspace=" + WS, otherAdmin, (String) null);
        assertThat(filtered.status()).isEqualTo(200);
        assertThat(filtered.json().path("tasks")).isEmpty();
        RawHttp.Reply never =
                raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, "never-created"), otherAdmin, (String) null);
        RawHttp.Reply hidden = raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, WS), otherAdmin, (String) null);
        assertThat(hidden.status()).isEqualTo(never.status()).isEqualTo(404);
        assertThat(hidden.errorCode()).isEqualTo(never.errorCode());
    }

    /**
     * A WebSocket call as a reply: a refusal is the error body, then a close with 4000 + the status; anything else
     * (a log frame, an ack) got past authorization, and counts as 200.
     */
    static RawHttp.Reply connect(Endpoint e, String token) throws Exception {
        WsFrames frames = new WsFrames();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) builder.header("Authorization", "Bearer " + token);
        URI uri = URI.create(server.baseUrl().toString().replaceFirst("^http", "ws") + e.path());
        WebSocket ws = builder.buildAsync(uri, frames).get(10, TimeUnit.SECONDS);
        if (e.body() != null) {
            try {
                ws.sendText(e.body(), true).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException closedFirst) {
                // Refused at connect: the server closed before the message went; its refusal is in the frames.
            }
        }
        String first = frames.next();
        try {
            if (!first.contains("\"error\"")) return new RawHttp.Reply(200, first, NO_HEADERS);
            return new RawHttp.Reply(frames.closed.get(10, TimeUnit.SECONDS) - 4000, first, NO_HEADERS);
        } finally {
            ws.abort();
        }
    }

    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (name, value) -> true);

    static Map<String, String> snapshot() {
        Map<String, String> s = Snapshots.of(raw, server, WS, apply.taskId());
        s.put(
                "other workspace",
                raw.send("GET", ApiPaths.fill(ApiPaths.WORKSPACE, OTHER_WS), server.adminToken(), (String) null)
                        .body());
        return s;
    }
}
