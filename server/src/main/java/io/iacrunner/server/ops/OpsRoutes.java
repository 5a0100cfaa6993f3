package io.iacrunner.server.ops;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** HTTP glue for operators: liveness, readiness, Prometheus metrics. None of them needs a token. */
public final class OpsRoutes implements Routes {
    private final Readiness readiness;
    private final Metrics metrics;

    public OpsRoutes(Readiness readiness, Metrics metrics) {
        this.readiness = readiness;
        this.metrics = metrics;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.HEALTH, this::health);
        t.get(ApiPaths.READY, this::ready);
        t.get(ApiPaths.METRICS, this::metrics);
    }

    /**
     * Alive: the process serves HTTP and has not given up on its store. A slow or briefly unavailable store never
     * gets a replica restarted (that is {@code /readyz}'s business); an embedded PostgreSQL that could not be restarted
     * does (503 {@code store_lost}).
     */
    private void health(Context ctx) {
        if (readiness.alive()) ctx.json(Map.of("status", "ok"));
        else ctx.status(503).json(Map.of("status", "store_lost"));
    }

    private void ready(Context ctx) {
        Readiness.Report report = readiness.check();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", report.ready() ? "ready" : "not_ready");
        body.put("checks", report.checks());
        ctx.status(report.ready() ? 200 : 503).json(body);
    }

    private void metrics(Context ctx) {
        ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape());
    }
}
