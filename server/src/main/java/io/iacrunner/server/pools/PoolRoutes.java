package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolList;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.web.Bodies;
import io.javalin.http.Context;

/** HTTP glue for agent pools (admin only). */
public final class PoolRoutes {
    private final Authenticator auth;
    private final PoolService pools;

    public PoolRoutes(Authenticator auth, PoolService pools) {
        this.auth = auth;
        this.pools = pools;
    }

    public void list(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(new PoolList(pools.list()));
    }

    public void show(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(pools.get(ctx.pathParam("pool_id")));
    }

    public void issueToken(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.status(201).json(pools.issueToken(ctx.pathParam("pool_id")));
    }

    public void put(Context ctx) {
        auth.admin(ctx.header("Authorization"));
        ctx.json(pools.put(ctx.pathParam("pool_id"), Bodies.read(ctx, PoolConfig.class)));
    }
}
