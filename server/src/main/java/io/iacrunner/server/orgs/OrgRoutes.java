package io.iacrunner.server.orgs;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.OrgList;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.TeamView;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.OrgScope;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;

/** HTTP glue for organisations, their users, teams and grants, and the site admin's sharing of pools. */
public final class OrgRoutes implements Routes {
    private final Authenticator auth;
    private final OrgService orgs;
    private final AuditLog audit;

    public OrgRoutes(Authenticator auth, OrgService orgs, AuditLog audit) {
        this.auth = auth;
        this.orgs = orgs;
        this.audit = audit;
    }

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.ORGS, this::list);
        t.post(ApiPaths.ORGS, this::create);
        t.get(ApiPaths.ORG, this::show);
        t.put(ApiPaths.ORG, this::update);
        t.get(ApiPaths.ORG_USERS, this::teams);
        t.post(ApiPaths.ORG_USERS, this::createUser);
        t.get(ApiPaths.ORG_TEAMS, this::teams);
        t.post(ApiPaths.ORG_TEAMS, this::createTeam);
        t.post(ApiPaths.ORG_TEAM_MEMBERS, this::addMember);
        t.post(ApiPaths.ORG_TEAM_GRANTS, this::grant);
        t.post(ApiPaths.POOL_SHARES, this::sharePool);
    }

    private Principal.User user(Context ctx) {
        return auth.user(ctx.header("Authorization"));
    }

    private void list(Context ctx) {
        ctx.json(new OrgList(orgs.list(user(ctx))));
    }

    private void show(Context ctx) {
        ctx.json(orgs.visible(user(ctx), ctx.pathParam("org")));
    }

    private void create(Context ctx) {
        Principal.User admin = user(ctx);
        OrgView created = orgs.create(admin, Bodies.read(ctx, OrgSettings.class));
        audit.recordIn(created.orgId(), "org_created", admin.actor(), created.orgId(), describe(created), ctx.ip());
        ctx.status(201).json(created);
    }

    private void update(Context ctx) {
        Principal.User admin = user(ctx);
        OrgView updated = orgs.update(admin, ctx.pathParam("org"), Bodies.read(ctx, OrgSettings.class));
        audit.recordIn(updated.orgId(), "org_updated", admin.actor(), updated.orgId(), describe(updated), ctx.ip());
        ctx.json(updated);
    }

    private void teams(Context ctx) {
        ctx.json(orgs.teams(user(ctx), ctx.pathParam("org")));
    }

    private void createUser(Context ctx) {
        Principal.User owner = user(ctx);
        String org = ctx.pathParam("org");
        String name = Bodies.read(ctx, NameRequest.class).name();
        orgs.createUser(owner, org, name);
        audit.recordIn(org, "user_created", owner.actor(), name, "user " + name, ctx.ip());
        ctx.status(201).json(new NameRequest(name));
    }

    private void createTeam(Context ctx) {
        Principal.User owner = user(ctx);
        String org = ctx.pathParam("org");
        String name = Bodies.read(ctx, NameRequest.class).name();
        orgs.createTeam(owner, org, name);
        audit.recordIn(org, "team_created", owner.actor(), name, "team " + name, ctx.ip());
        ctx.status(201).json(new NameRequest(name));
    }

    private void addMember(Context ctx) {
        Principal.User owner = user(ctx);
        String org = ctx.pathParam("org");
        String team = ctx.pathParam("team");
        String member = Bodies.read(ctx, NameRequest.class).name();
        orgs.addMember(owner, org, team, member);
        audit.recordIn(org, "team_member_added", owner.actor(), team, "user " + member + " joined", ctx.ip());
        ctx.status(201).json(new NameRequest(member));
    }

    /** Every grant is audited: who gave which team which role where. */
    private void grant(Context ctx) {
        Principal.User owner = user(ctx);
        String org = ctx.pathParam("org");
        String team = ctx.pathParam("team");
        TeamView.Grant grant = Bodies.read(ctx, TeamView.Grant.class);
        orgs.grant(owner, org, team, grant.workspace(), grant.role());
        audit.recordIn(
                org,
                "team_granted",
                owner.actor(),
                team,
                grant.role().wireName() + " on "
                        + (grant.workspace() == null ? "every workspace" : "workspace " + grant.workspace()),
                ctx.ip());
        ctx.status(201).json(grant);
    }

    private void sharePool(Context ctx) {
        Principal.User admin = user(ctx);
        String pool = OrgScope.pool(ctx);
        String with = Bodies.read(ctx, NameRequest.class).name();
        orgs.sharePool(admin, pool, with);
        audit.recordIn(with, "pool_shared", admin.actor(), pool, "pool " + pool + " shared with " + with, ctx.ip());
        ctx.status(201).json(new NameRequest(with));
    }

    private static String describe(OrgView o) {
        return "weight " + o.weight() + ", max_running " + o.maxRunning() + ", max_queued " + o.maxQueued();
    }
}
