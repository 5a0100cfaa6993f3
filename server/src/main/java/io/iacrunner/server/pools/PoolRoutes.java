package io.iacrunner.server.pools;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolGrantList;
import io.iacrunner.protocol.PoolGrants;
import io.iacrunner.protocol.PoolList;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RateLimiter;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.orgs.OrgService;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import io.javalin.http.Context;

/** HTTP glue for agent pools: their settings, tokens and grants (owners of their organisation, the site admin). */
public final class PoolRoutes implements Routes {
    private final Authenticator auth;
    private final PoolService pools;
    private final AuditLog audit;
    private final RateLimiter tokenIssues;

    private final OrgService orgs;
    private final PoolGrantService grants;

    public PoolRoutes(
            Authenticator auth,
            PoolService pools,
            PoolGrantService grants,
            AuditLog audit,
            RateLimiter tokenIssues,
            OrgService orgs) {
        this.orgs = orgs;
        this.grants = grants;
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
        t.get(ApiPaths.POOL_GRANTS, this::grants);
        t.put(ApiPaths.POOL_GRANTS, this::grant);
    }

    /** Every pool for the site admin; with {@code ?org=}, that organisation's (and those shared with it), for its owner. */
    private void list(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        if (user.globalAdmin() && ctx.queryParam(OrgScope.PARAM) == null) {
            ctx.json(new PoolList(pools.list()));
            return;
        }
        String org = OrgScope.org(ctx);
        orgs.owned(user, org);
        ctx.json(new PoolList(pools.list(org)));
    }

    /** The pool's key in the request's organisation, if the caller owns that organisation (or is the site admin). */
    private String owned(Context ctx) {
        Principal.User user = auth.user(ctx.header("Authorization"));
        String pool = OrgScope.pool(ctx);
        orgs.owned(user, OrgNames.orgOf(pool));
        return pool;
    }

    private void show(Context ctx) {
        ctx.json(pools.get(owned(ctx)));
    }

    private void grants(Context ctx) {
        ctx.json(grants.list(owned(ctx)));
    }

    /**
     * An owner chooses which workspaces of its organisation the pool serves: its own pool's, or one the site admin
     * shared with it ({@code org} in the body; the pool then named by {@code ?org=} as the pool's organisation).
     */
    private void grant(Context ctx) {
        Principal.User caller = auth.user(ctx.header("Authorization"));
        String pool = OrgScope.pool(ctx);
        PoolGrants body = Bodies.read(ctx, PoolGrants.class);
        String org = body.org() == null
                ? OrgNames.orgOf(pool)
                : Ids.requireName(body.org(), "invalid_org", "organisation names");
        orgs.owned(caller, org);
        PoolGrantList result = grants.replace(pool, org, body);
        audit.recordIn(
                org,
                "pool_granted",
                caller.actor(),
                pool,
                "pool " + pool + " serves "
                        + (body.workspaces() == null
                                ? "every workspace of " + org
                                : "workspaces " + String.join(", ", body.workspaces()) + " of " + org),
                ctx.ip());
        ctx.json(result);
    }

    private void issueToken(Context ctx) {
        String pool = owned(ctx);
        Principal.User caller = auth.user(ctx.header("Authorization"));
        PoolToken issued = pools.issueToken(pool);
        audit.recordIn(
                OrgNames.orgOf(pool),
                "token_created",
                caller.actor(),
                issued.tokenId(),
                "agent-pool token for " + issued.poolId(),
                ctx.ip());
        ctx.status(201).json(issued);
    }

    private void put(Context ctx) {
        String pool = owned(ctx);
        PoolConfig body = Bodies.read(ctx, PoolConfig.class);
        if (body.poolId() != null
                && !body.poolId().equals(pool)
                && !body.poolId().equals(OrgNames.nameOf(pool)))
            throw ApiProblem.badRequest("pool_id_mismatch", "pool_id in the body differs from the path");
        ctx.json(pools.put(
                pool,
                new PoolConfig(
                        pool,
                        body.maxPlanConcurrency(),
                        body.allowApplyConcurrent(),
                        body.labels(),
                        body.maxRunTime(),
                        body.minAgentVersion(),
                        body.maxRunning())));
    }
}
