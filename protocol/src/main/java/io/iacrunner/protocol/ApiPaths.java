package io.iacrunner.protocol;

/** Every HTTP and WebSocket path of the protocol, shared by server routes and clients. */
public final class ApiPaths {
    private ApiPaths() {}

    public static final String PREFIX = "/api/v1";

    // Agents (register with a pool token; the rest with the agent token it returns).
    public static final String AGENT_REGISTER = PREFIX + "/agents/register";
    public static final String AGENT_PING = PREFIX + "/agents/ping";
    public static final String AGENT_DEREGISTER = PREFIX + "/agents/deregister";
    public static final String TASK_PULL = PREFIX + "/tasks/pull";
    public static final String TASK_PHASE = PREFIX + "/tasks/{task_id}/phase";
    public static final String TASK_PLAN = PREFIX + "/tasks/{task_id}/plan";
    public static final String TASK_LOGS = PREFIX + "/tasks/{task_id}/logs";
    public static final String TASK_STATE = PREFIX + "/tasks/{task_id}/state";
    public static final String TASK_RESULT = PREFIX + "/tasks/{task_id}/result";
    /** The agent gives back an attempt it has not begun: the task is queued again (job token). */
    public static final String TASK_HAND_BACK = PREFIX + "/tasks/{task_id}/hand-back";
    /**
     * The plan an attempt made, sealed at rest (PUT, job token, at the end of its plan phase), and the one an attempt
     * applies (GET {@code ?attempt=N}, job token; 409 {@code stale_plan} when the state moved since).
     */
    public static final String TASK_PLAN_FILE = PREFIX + "/tasks/{task_id}/plan-file";
    /** A fresh job token for an attempt the agent runs (agent token). */
    public static final String TASK_JOB_TOKEN = PREFIX + "/tasks/{task_id}/job-token";

    // Users.
    public static final String TASKS = PREFIX + "/tasks";
    public static final String TASK = PREFIX + "/tasks/{task_id}";
    public static final String TASK_LOG_TEXT = PREFIX + "/tasks/{task_id}/logs.txt";
    public static final String TASK_CANCEL = PREFIX + "/tasks/{task_id}/cancel";
    /** Apply a planned task's stored plan (its apply is queued), or discard it. */
    public static final String TASK_CONFIRM = PREFIX + "/tasks/{task_id}/confirm";

    public static final String TASK_DISCARD = PREFIX + "/tasks/{task_id}/discard";
    /** Queue a run that applies exactly the stored plan of this finished plan task. */
    public static final String TASK_APPLY_PLAN = PREFIX + "/tasks/{task_id}/apply";

    public static final String AGENTS = PREFIX + "/agents";
    public static final String POOLS = PREFIX + "/pools";
    public static final String POOL = PREFIX + "/pools/{pool_id}";
    public static final String POOL_TOKENS = PREFIX + "/pools/{pool_id}/tokens";
    public static final String TOKENS = PREFIX + "/tokens";
    public static final String TOKEN_REVOKE = PREFIX + "/tokens/{token_id}/revoke";
    public static final String WHOAMI = PREFIX + "/whoami";
    public static final String SIGNING_KEY_ROTATE = PREFIX + "/signing-keys/rotate";
    public static final String AUDIT_EVENTS = PREFIX + "/audit-events";
    // Organisations (issue 16): the site admin creates them, owners manage their users, teams and grants. Every other
    // route takes ?org=ORG (default: default).
    public static final String ORGS = PREFIX + "/orgs";
    public static final String ORG = PREFIX + "/orgs/{org}";
    public static final String ORG_USERS = PREFIX + "/orgs/{org}/users";
    public static final String ORG_TEAMS = PREFIX + "/orgs/{org}/teams";
    public static final String ORG_TEAM_MEMBERS = PREFIX + "/orgs/{org}/teams/{team}/members";
    public static final String ORG_TEAM_GRANTS = PREFIX + "/orgs/{org}/teams/{team}/grants";
    /** The site admin shares a pool with another organisation ({@code POST}, body {@link NameRequest}). */
    public static final String POOL_SHARES = PREFIX + "/pools/{pool_id}/shares";
    /** Which workspaces a pool serves ({@code GET}; {@code PUT}, body {@link PoolGrants}): all of an organisation, or chosen ones. */
    public static final String POOL_GRANTS = PREFIX + "/pools/{pool_id}/grants";

    public static final String WORKSPACES = PREFIX + "/workspaces";
    public static final String WORKSPACE = PREFIX + "/workspaces/{workspace_id}";
    public static final String WORKSPACE_VARIABLES = PREFIX + "/workspaces/{workspace_id}/variables";
    public static final String WORKSPACE_VARIABLE = PREFIX + "/workspaces/{workspace_id}/variables/{name}";
    /** A workspace's webhook destinations (POST adds one, GET lists them). */
    public static final String WORKSPACE_NOTIFICATIONS = PREFIX + "/workspaces/{workspace_id}/notifications";

    public static final String WORKSPACE_NOTIFICATION =
            PREFIX + "/workspaces/{workspace_id}/notifications/{destination_id}";
    /** The delivery log of a workspace's notifications, newest first. */
    public static final String WORKSPACE_NOTIFICATION_DELIVERIES =
            PREFIX + "/workspaces/{workspace_id}/notification-deliveries";

    public static final String WORKSPACE_UNLOCK = PREFIX + "/workspaces/{workspace_id}/unlock";
    public static final String WORKSPACE_STATE = PREFIX + "/workspaces/{workspace_id}/state";
    public static final String WORKSPACE_STATE_VERSIONS = PREFIX + "/workspaces/{workspace_id}/state/versions";
    public static final String WORKSPACE_STATE_ROLLBACK = PREFIX + "/workspaces/{workspace_id}/state/rollback";
    /** Terraform's {@code http} backend: GET the state, POST a new one (with {@code ?ID=} the lock it holds). */
    public static final String WORKSPACE_TERRAFORM_STATE = PREFIX + "/workspaces/{workspace_id}/terraform/state";
    /** Terraform's {@code http} backend's lock: {@code LOCK} takes it, {@code UNLOCK} releases it. */
    public static final String WORKSPACE_TERRAFORM_LOCK = PREFIX + "/workspaces/{workspace_id}/terraform/lock";

    /** A one-time ticket that opens a viewer WebSocket in place of the Authorization header ({@link WsTicket}). */
    public static final String WS_TICKETS = PREFIX + "/ws-tickets";

    // WebSockets (the seed's paths).
    public static final String WS_VIEWER = "/ws/logs";
    /** Agent → server log upload (the seed's path): LogBatch frames up, LogAck frames down; HTTP is the fallback. */
    public static final String WS_AGENT_LOGS = "/ws/agent/logs";

    // Operators (no token): alive, ready to serve (store reachable, migrations done, not shutting down), Prometheus.
    public static final String HEALTH = "/healthz";
    /** The public keys that verify the server's JWTs (agent and job tokens). */
    public static final String JWKS = "/.well-known/jwks.json";

    /**
     * Terraform's service discovery: where a {@code cloud} block's host serves the Terraform Cloud API ({@code tfe.v2},
     * under {@link #TFE_PREFIX}). Public, like Terraform Cloud's own.
     */
    public static final String TERRAFORM_DISCOVERY = "/.well-known/terraform.json";

    /** The Terraform Cloud API as Terraform's CLI uses it (JSON:API), separate from ours under {@link #PREFIX}. */
    public static final String TFE_PREFIX = "/api/v2/";

    /** What Terraform's API client (go-tfe) asks first, reading the API version from its headers. */
    public static final String TFE_PING = TFE_PREFIX + "ping";

    // The rest of the Terraform Cloud API as Terraform's cloud block uses it (docs/terraform-cli.md).
    public static final String TFE_ENTITLEMENTS = TFE_PREFIX + "organizations/{org}/entitlement-set";
    public static final String TFE_ORG_WORKSPACES = TFE_PREFIX + "organizations/{org}/workspaces";
    public static final String TFE_ORG_WORKSPACE = TFE_PREFIX + "organizations/{org}/workspaces/{name}";
    public static final String TFE_WORKSPACE = TFE_PREFIX + "workspaces/{workspace_id}";
    public static final String TFE_CONFIG_VERSIONS = TFE_PREFIX + "workspaces/{workspace_id}/configuration-versions";
    public static final String TFE_CONFIG_VERSION = TFE_PREFIX + "configuration-versions/{cv_id}";
    /** Where Terraform PUTs a configuration's tar.gz: without a token, the secret in the path is the credential. */
    public static final String TFE_CONFIG_UPLOAD = TFE_PREFIX + "configuration-versions/{cv_id}/upload/{secret}";

    public static final String TFE_RUNS = TFE_PREFIX + "runs";
    public static final String TFE_RUN = TFE_PREFIX + "runs/{run_id}";
    public static final String TFE_RUN_EVENTS = TFE_PREFIX + "runs/{run_id}/run-events";
    /** {@code apply} (confirm), {@code discard}, {@code cancel}, {@code force-cancel}. */
    public static final String TFE_RUN_ACTION = TFE_PREFIX + "runs/{run_id}/actions/{action}";

    public static final String TFE_PLAN = TFE_PREFIX + "plans/{plan_id}";
    /** A plan's log as Terraform reads it: without its token, so the {@code ticket} is the credential. */
    public static final String TFE_PLAN_LOG = TFE_PREFIX + "plans/{plan_id}/logs/{ticket}";

    public static final String TFE_APPLY = TFE_PREFIX + "applies/{apply_id}";
    public static final String TFE_APPLY_LOG = TFE_PREFIX + "applies/{apply_id}/logs/{ticket}";
    public static final String TFE_CURRENT_STATE = TFE_PREFIX + "workspaces/{workspace_id}/current-state-version";
    public static final String TFE_CURRENT_OUTPUTS =
            TFE_PREFIX + "workspaces/{workspace_id}/current-state-version-outputs";
    public static final String TFE_STATE_DOWNLOAD = TFE_PREFIX + "state-versions/{sv_id}/download";

    public static final String READY = "/readyz";
    public static final String METRICS = "/metrics";

    /** Fills {@code {name}} placeholders in order, URL-encoding each value. */
    public static String fill(String template, String... values) {
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (String value : values) {
            int open = template.indexOf('{', from);
            int close = template.indexOf('}', open);
            if (open < 0 || close < 0) throw new IllegalArgumentException("too many values for " + template);
            out.append(template, from, open)
                    .append(java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8));
            from = close + 1;
        }
        if (template.indexOf('{', from) >= 0) throw new IllegalArgumentException("too few values for " + template);
        return out.append(template.substring(from)).toString();
    }
}
