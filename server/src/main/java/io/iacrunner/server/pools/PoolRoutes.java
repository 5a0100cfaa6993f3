package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolList;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.web.Bodies;
import io.javalin.http.Context;

/** HTTP glue for agent pools (global admins only). */
public final class PoolRoutes {
    private final Authenticator auth;
    private final PoolService pools;
    private final AuditLog audit;

    public PoolRoutes(Authenticator auth, PoolService pools, AuditLog audit) {
        this.auth = auth;
        this.pools = pools;
        this.audit = audit;
    }

    public void list(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(new PoolList(pools.list()));
    }

    public void show(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(pools.get(ctx.pathParam("pool_id")));
    }

    public void issueToken(Context ctx) {
        Principal.User admin = auth.globalAdmin(ctx.header("Authorization"));
        PoolToken issued = pools.issueToken(ctx.pathParam("pool_id"));
        audit.record("token_created", admin.actor(), issued.tokenId(), "agent-pool token for " + issued.poolId(), ctx.ip());
        ctx.status(201).json(issued);
    }

    public void put(Context ctx) {
        auth.globalAdmin(ctx.header("Authorization"));
        ctx.json(pools.put(ctx.pathParam("pool_id"), Bodies.read(ctx, PoolConfig.class)));
    }
}
