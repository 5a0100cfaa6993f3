package io.iacrunner.server.pools;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolList;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.RateLimiter;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for agent pools (global admins only). */
public final class PoolRoutes implements Routes {
    private final Authenticator auth;
    private final PoolService pools;
    private final AuditLog audit;
    private final RateLimiter tokenIssues;

    public PoolRoutes(Authenticator auth, PoolService pools, AuditLog audit, RateLimiter tokenIssues) {
        this.auth = auth;
        this.pools = pools;
        this.audit = audit;
        this.tokenIssues = tokenIssues;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.POOLS, this::list);
        t.get(ApiPaths.POOL, this::show);
        t.put(ApiPaths.POOL, this::put);
        t.post(ApiPaths.POOL_TOKENS, tokenIssues.limit(this::issueToken));
    }

    private void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(new PoolList(pools.list()));
    }

    private void show(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(pools.get(ctx.pathParam("pool_id")));
    }

    private void issueToken(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        PoolToken issued = pools.issueToken(ctx.pathParam("pool_id"));
        audit.record(
                "token_created", admin.actor(), issued.tokenId(), "agent-pool token for " + issued.poolId(), ctx.ip());
        ctx.status(201).json(issued);
    }

    private void put(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(pools.put(ctx.pathParam("pool_id"), Bodies.read(ctx, PoolConfig.class)));
    }
}
