package io.iacrunner.server.web;

import io.iacrunner.protocol.ApiError;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.Limits;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.ops.Drain;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.store.StoreAvailability;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: Jetty and Javalin settings, the web UI's static files, shutdown's drain, and the one place errors
 * are rendered. The endpoints are the features' own ({@link Routes}); this class knows none of them.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    /** Largest request body: a full log batch of long lines fits, a runaway upload does not. */
    public static final long MAX_BODY_BYTES = Limits.MAX_BODY_BYTES;
    /** What a body over {@link #MAX_BODY_BYTES} is told, whether its length was declared or found out while reading. */
    static final String BODY_TOO_LARGE = "the request body is over the server's limit of " + Limits.maxBody();

    private final List<Routes> api;
    private final Drain drain;
    private final AuditLog audit;
    private final StoreAvailability store;
    private List<RouteTable.Route> routes = List.of();

    /** @param api every feature's routes, in the order the API's table of contents lists them */
    public HttpApi(List<Routes> api, Drain drain, AuditLog audit, StoreAvailability store) {
        this.api = List.copyOf(api);
        this.drain = drain;
        this.audit = audit;
        this.store = store;
    }

    /** @param tls the certificate for HTTPS; null for plain HTTP */
    public Javalin create(String host, int port, ServerConfig.Tls tls) {
        return Javalin.create(config -> {
            config.jetty.host = host;
            config.jetty.port = port;
            if (tls != null)
                config.jetty.addConnector((server, http) -> TlsConnector.create(server, http, tls, host, port));
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            config.jsonMapper(new JavalinJackson(WireJson.lenient(), true));
            // An agent's log batch arrives as one text frame; allow what the HTTP body limit allows.
            config.jetty.modifyWebSocketServletFactory(ws -> ws.setMaxTextMessageSize(MAX_BODY_BYTES));
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            // No per-connection cache of header fields: Jetty's (1024 trie rows by default) holds ~100 KiB on every
            // keep-alive connection, and every agent keeps two or three open; the soak saw replica A's heap grow by
            // 40 MiB of them as connections moved to it. Parsing a header anew costs a few small strings.
            config.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheSize(0));
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

            RouteTable table = new RouteTable(r);
            api.forEach(feature -> feature.register(table));
            routes = table.routes();

            r.exception(ApiProblem.class, (e, ctx) -> {
                if (e.status() == 401)
                    audit.authenticationFailed(ctx.ip(), ctx.method() + " " + ctx.path(), e.getMessage());
                render(ctx, e.status(), e.code(), e.getMessage());
            });
            r.exception(
                    HttpResponseException.class,
                    (e, ctx) -> render(
                            ctx,
                            e.getStatus(),
                            codeFor(e.getStatus()),
                            e.getStatus() == 413 ? BODY_TOO_LARGE : e.getMessage()));
            r.exception(Exception.class, (e, ctx) -> {
                if (store.failed(e)) {
                    // Logged once per outage by StoreAvailability; every request meanwhile gets a quick 503.
                    ApiProblem refusal = StoreAvailability.refusal();
                    render(ctx, refusal.status(), refusal.code(), refusal.getMessage());
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
            r.error(
                    404,
                    ctx -> renderIfEmpty(ctx, "not_found", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            r.error(
                    405,
                    ctx -> renderIfEmpty(ctx, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path()));
            r.error(413, ctx -> renderIfEmpty(ctx, ErrorCodes.BODY_TOO_LARGE, BODY_TOO_LARGE));
        });
    }

    /** Every endpoint served, once {@link #create} has run. */
    public List<RouteTable.Route> routes() {
        return routes;
    }

    public static void render(Context ctx, int status, String code, String message) {
        if (ErrorCodes.STORE_UNAVAILABLE.equals(code))
            ctx.header("Retry-After", Integer.toString(StoreAvailability.RETRY_AFTER_SECONDS));
        if (ctx.path().startsWith(ApiPaths.TFE_PREFIX)) {
            // Terraform's client reads JSON:API's errors (title and detail) and shows them; the rest of the body is
            // ours.
            ctx.status(status)
                    .json(Map.of(
                            "error",
                            ApiError.of(code, message).error(),
                            "errors",
                            List.of(Map.of("status", Integer.toString(status), "title", code, "detail", message))));
            return;
        }
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
            String message =
                    c instanceof IOException ? String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT) : "";
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
