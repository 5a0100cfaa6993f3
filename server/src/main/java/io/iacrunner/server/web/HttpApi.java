package io.iacrunner.server.web;

import io.iacrunner.protocol.ApiError;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.Limits;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.ServerConfig;
import io.iacrunner.server.agents.AgentRoutes;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.audit.AuditRoutes;
import io.iacrunner.server.auth.TokenRoutes;
import io.iacrunner.server.auth.AuthRoutes;
import io.iacrunner.server.logs.LogRoutes;
import io.iacrunner.server.ops.Drain;
import io.iacrunner.server.ops.OpsRoutes;
import io.iacrunner.server.pools.PoolRoutes;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.state.StateRoutes;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.tasks.TaskRoutes;
import io.iacrunner.server.variables.VariableRoutes;
import io.iacrunner.server.workspaces.WorkspaceRoutes;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP and WebSocket API: the route table is its table of contents; errors are rendered here, once. */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    /** Largest request body: a full log batch of long lines fits, a runaway upload does not. */
    public static final long MAX_BODY_BYTES = Limits.MAX_BODY_BYTES;
    /** What a body over {@link #MAX_BODY_BYTES} is told, whether its length was declared or found out while reading. */
    static final String BODY_TOO_LARGE = "the request body is over the server's limit of " + Limits.maxBody();

    private final AgentRoutes agents;
    private final TaskRoutes tasks;
    private final LogRoutes logs;
    private final StateRoutes state;
    private final PoolRoutes pools;
    private final WorkspaceRoutes workspaces;
    private final VariableRoutes variables;
    private final TokenRoutes tokens;
    private final AuditRoutes auditRoutes;
    private final OpsRoutes ops;
    private final Drain drain;
    private final AuthRoutes identity;
    private final AuditLog audit;
    private final RateLimiter registrations;
    private final RateLimiter tokenIssues;
    private final StoreAvailability store;

    public HttpApi(AgentRoutes agents, TaskRoutes tasks, LogRoutes logs, StateRoutes state, PoolRoutes pools,
            WorkspaceRoutes workspaces, VariableRoutes variables, TokenRoutes tokens, AuditRoutes auditRoutes, AuthRoutes identity,
            OpsRoutes ops, Drain drain, AuditLog audit, int credentialRequestsPerMinute, StoreAvailability store) {
        this.store = store;
        this.registrations = new RateLimiter("agent registrations", credentialRequestsPerMinute);
        this.tokenIssues = new RateLimiter("token creation", credentialRequestsPerMinute);
        this.agents = agents;
        this.tasks = tasks;
        this.logs = logs;
        this.state = state;
        this.pools = pools;
        this.workspaces = workspaces;
        this.variables = variables;
        this.tokens = tokens;
        this.auditRoutes = auditRoutes;
        this.audit = audit;
        this.ops = ops;
        this.drain = drain;
        this.identity = identity;
    }

    /** @param tls the certificate for HTTPS; null for plain HTTP */
    public Javalin create(String host, int port, ServerConfig.Tls tls) {
        return Javalin.create(config -> {
            config.jetty.host = host;
            config.jetty.port = port;
            if (tls != null) config.jetty.addConnector((server, http) -> TlsConnector.create(server, http, tls, host, port));
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            config.jsonMapper(new JavalinJackson(WireJson.lenient(), true));
            // An agent's log batch arrives as one text frame; allow what the HTTP body limit allows.
            config.jetty.modifyWebSocketServletFactory(ws -> ws.setMaxTextMessageSize(MAX_BODY_BYTES));
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            // The web UI: plain files from the jar at /, no build step. It talks to the API below like any client.
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/web";
                files.location = Location.CLASSPATH;
                files.headers = WebUiHeaders.ALL;
            });

            var r = config.routes;
            // Shutdown: refuse new requests, let those in flight finish (see Drain).
            r.before(drain::enter);
            r.after(drain::exit);

            // Operators.
            r.get(ApiPaths.HEALTH, ops::health);
            r.get(ApiPaths.READY, ops::ready);
            r.get(ApiPaths.METRICS, ops::metrics);
            r.get(ApiPaths.JWKS, tokens::jwks);

            // Agents: register with a pool token, everything else with the agent token it returns.
            r.before(ApiPaths.AGENT_REGISTER, registrations::check);
            r.post(ApiPaths.AGENT_REGISTER, agents::register);
            r.post(ApiPaths.AGENT_PING, agents::ping);
            r.post(ApiPaths.AGENT_DEREGISTER, agents::deregister);
            r.post(ApiPaths.TASK_PULL, tasks::pull);
            r.post(ApiPaths.TASK_PHASE, tasks::phase);
            r.post(ApiPaths.TASK_PLAN, tasks::plan);
            r.post(ApiPaths.TASK_LOGS, logs::append);
            r.put(ApiPaths.TASK_STATE, state::upload);
            r.post(ApiPaths.TASK_RESULT, tasks::result);
            r.post(ApiPaths.TASK_JOB_TOKEN, tasks::jobToken);
            r.post(ApiPaths.TASK_HAND_BACK, tasks::handBack);

            // Users.
            r.post(ApiPaths.TASKS, tasks::create);
            r.get(ApiPaths.TASKS, tasks::list);
            r.get(ApiPaths.TASK, tasks::show);
            r.post(ApiPaths.TASK_CANCEL, tasks::cancel);
            r.get(ApiPaths.TASK_LOGS, logs::page);
            r.get(ApiPaths.TASK_LOG_TEXT, logs::text);
            r.get(ApiPaths.AGENTS, agents::list);
            r.get(ApiPaths.POOLS, pools::list);
            r.get(ApiPaths.POOL, pools::show);
            r.put(ApiPaths.POOL, pools::put);
            r.before(ApiPaths.POOL_TOKENS, tokenIssues::check);
            r.post(ApiPaths.POOL_TOKENS, pools::issueToken);
            r.before(ApiPaths.TOKENS, ctx -> {
                if (ctx.method().name().equals("POST")) tokenIssues.check(ctx);
            });
            r.post(ApiPaths.TOKENS, tokens::create);
            r.get(ApiPaths.TOKENS, tokens::list);
            r.post(ApiPaths.TOKEN_REVOKE, tokens::revoke);
            r.get(ApiPaths.WHOAMI, tokens::whoami);
            r.post(ApiPaths.SIGNING_KEY_ROTATE, tokens::rotateSigningKey);
            r.get(ApiPaths.AUDIT_EVENTS, auditRoutes::list);
            r.post(ApiPaths.WS_TICKETS, identity::issueTicket);
            r.get(ApiPaths.WORKSPACES, workspaces::list);
            r.get(ApiPaths.WORKSPACE, workspaces::show);
            r.put(ApiPaths.WORKSPACE, workspaces::update);
            r.post(ApiPaths.WORKSPACE_UNLOCK, workspaces::unlock);
            r.get(ApiPaths.WORKSPACE_VARIABLES, variables::list);
            r.put(ApiPaths.WORKSPACE_VARIABLE, variables::set);
            r.delete(ApiPaths.WORKSPACE_VARIABLE, variables::delete);
            r.get(ApiPaths.WORKSPACE_STATE, state::current);
            r.get(ApiPaths.WORKSPACE_STATE_VERSIONS, state::versions);
            r.post(ApiPaths.WORKSPACE_STATE_ROLLBACK, state::rollback);
            r.ws(ApiPaths.WS_VIEWER, logs::viewer);
            r.ws(ApiPaths.WS_AGENT_LOGS, logs::agentUpload);

            r.exception(ApiProblem.class, (e, ctx) -> {
                if (e.status() == 401) audit.authenticationFailed(ctx.ip(), ctx.method() + " " + ctx.path(), e.getMessage());
                render(ctx, e.status(), e.code(), e.getMessage());
            });
            r.exception(HttpResponseException.class, (e, ctx) -> render(ctx, e.getStatus(), codeFor(e.getStatus()),
                    e.getStatus() == 413 ? BODY_TOO_LARGE : e.getMessage()));
            r.exception(Exception.class, (e, ctx) -> {
                if (store.failed(e)) {
                    // Logged once per outage by StoreAvailability; every request meanwhile gets a quick 503.
                    render(ctx, 503, ErrorCodes.STORE_UNAVAILABLE, StoreAvailability.MESSAGE);
                    return;
                }
                if (clientGone(e)) {
                    // A viewer closed its tab, `iac logs | head` stopped reading: nobody is left to answer.
                    log.debug("the client went away during {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
                    return;
                }
                log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
                render(ctx, 500, "internal_error", "internal error; see the server log");
            });
            // Only for responses nothing else rendered: Javalin's own 404/405/413.
            r.error(404, ctx -> renderIfEmpty(ctx, "not_found", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            r.error(405, ctx -> renderIfEmpty(ctx, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path()));
            r.error(413, ctx -> renderIfEmpty(ctx, ErrorCodes.BODY_TOO_LARGE, BODY_TOO_LARGE));
        });
    }

    public static void render(Context ctx, int status, String code, String message) {
        if (ErrorCodes.STORE_UNAVAILABLE.equals(code)) ctx.header("Retry-After", Integer.toString(StoreAvailability.RETRY_AFTER_SECONDS));
        ctx.status(status).json(ApiError.of(code, message));
    }

    private static void renderIfEmpty(Context ctx, String code, String message) {
        String body = ctx.result();
        if (body == null || body.isEmpty()) render(ctx, ctx.statusCode(), code, message);
    }

    /**
     * Whether {@code e} only means the client left in the middle of the request or of the reply: a reset or closed
     * connection, which is the client's business, not an error of the server.
     */
    static boolean clientGone(Throwable e) {
        int depth = 0;
        for (Throwable c = e; c != null && depth < 20; c = c.getCause(), depth++) {
            if (c instanceof EofException || c instanceof ClosedChannelException) return true;
            String message = c instanceof IOException ? String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT) : "";
            if (message.contains("broken pipe") || message.contains("connection reset")) return true;
        }
        return false;
    }

    private static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> ErrorCodes.BODY_TOO_LARGE;
            default -> "http_" + status;
        };
    }
}
