package io.iacrunner.server.ops;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** HTTP glue for operators: liveness, readiness, Prometheus metrics. None of them needs a token. */
public final class OpsRoutes {
    private final Readiness readiness;
    private final Metrics metrics;

    public OpsRoutes(Readiness readiness, Metrics metrics) {
        this.readiness = readiness;
        this.metrics = metrics;
    }

    /** Alive: the process serves HTTP. Nothing else is checked, so a slow store never gets a replica restarted. */
    public void health(Context ctx) {
        ctx.json(Map.of("status", "ok"));
    }

    public void ready(Context ctx) {
        Readiness.Report report = readiness.check();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", report.ready() ? "ready" : "not_ready");
        body.put("checks", report.checks());
        ctx.status(report.ready() ? 200 : 503).json(body);
    }

    public void metrics(Context ctx) {
        ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape());
    }
}
