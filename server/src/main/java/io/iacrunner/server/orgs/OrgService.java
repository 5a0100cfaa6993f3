package io.iacrunner.server.orgs;

import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TeamList;
import io.iacrunner.protocol.Weights;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Organisations, their users, teams and grants. Who may do what: the site admin creates and changes organisations
 * and sees them all; an owner manages its organisation's users, teams and grants; anyone else sees the organisations
 * it belongs to. An organisation the caller may not see is a 404 exactly like one that does not exist.
 */
public final class OrgService {
    private static final int MAX_QUOTA = 1_000_000;

    private final OrgStore store;

    public OrgService(Jdbi jdbi) {
        this.store = new OrgStore(jdbi);
    }

    /** The organisation, if {@code user} may see it. */
    public OrgView visible(Principal.User user, String org) {
        Ids.requireName(org, "invalid_org", "organisation names");
        if (!user.sees(org)) throw notFound(org);
        return store.find(org).orElseThrow(() -> notFound(org));
    }

    /** The organisation, if {@code user} owns it (403 when it only sees it). */
    public OrgView owned(Principal.User user, String org) {
        OrgView view = visible(user, org);
        if (!user.owns(org)) throw ApiProblem.forbidden("this needs an owner of organisation " + org);
        return view;
    }

    public List<OrgView> list(Principal.User user) {
        return store.list(user.globalAdmin() ? null : user.orgs());
    }

    public OrgView create(Principal.User siteAdmin, OrgSettings settings) {
        requireSiteAdmin(siteAdmin);
        Ids.requireName(settings.orgId(), "invalid_org", "organisation names");
        validate(settings);
        if (!store.insert(settings))
            throw ApiProblem.conflict("org_exists", "organisation " + settings.orgId() + " exists already");
        return store.find(settings.orgId()).orElseThrow();
    }

    public OrgView update(Principal.User siteAdmin, String org, OrgSettings settings) {
        requireSiteAdmin(siteAdmin);
        visible(siteAdmin, org);
        if (settings.orgId() != null && !settings.orgId().equals(org))
            throw ApiProblem.badRequest("org_id_mismatch", "org_id in the body differs from the path");
        validate(settings);
        store.update(org, settings);
        return store.find(org).orElseThrow();
    }

    public void createUser(Principal.User owner, String org, String name) {
        owned(owner, org);
        Ids.requireName(name, "invalid_user", "user names");
        if (!store.insertUser(org, name))
            throw ApiProblem.conflict("user_exists", "user " + name + " exists already in " + org);
    }

    public void createTeam(Principal.User owner, String org, String name) {
        owned(owner, org);
        Ids.requireName(name, "invalid_team", "team names");
        if (!store.insertTeam(org, name))
            throw ApiProblem.conflict("team_exists", "team " + name + " exists already in " + org);
    }

    public void addMember(Principal.User owner, String org, String team, String user) {
        owned(owner, org);
        requireTeam(org, team);
        Ids.requireName(user, "invalid_user", "user names");
        if (!store.exists("users", org, user))
            throw ApiProblem.notFound("user_not_found", "no user " + user + " in " + org);
        store.addMember(org, team, user);
    }

    /** @param workspace its name in the organisation; null for every workspace of it */
    public void grant(Principal.User owner, String org, String team, String workspace, Role role) {
        owned(owner, org);
        requireTeam(org, team);
        if (role == null)
            throw ApiProblem.badRequest("invalid_role", "a grant needs a role: read, plan, apply or admin");
        String key = workspace == null ? null : OrgNames.qualify(org, Ids.requireWorkspaceName(workspace));
        store.grant(org, team, key, role);
    }

    public TeamList teams(Principal.User owner, String org) {
        owned(owner, org);
        return new TeamList(store.teams(org), store.users(org));
    }

    /** The site admin shares pool {@code poolId} (its key) with every workspace of {@code org}. */
    public void sharePool(Principal.User siteAdmin, String poolId, String org) {
        requireSiteAdmin(siteAdmin);
        visible(siteAdmin, org);
        if (!store.poolExists(poolId)) throw ApiProblem.notFound("pool_not_found", "no pool '" + poolId + "'");
        if (!store.sharePool(poolId, org))
            throw ApiProblem.conflict("pool_shared", "pool " + poolId + " is shared with " + org + " already");
    }

    private void requireTeam(String org, String team) {
        Ids.requireName(team, "invalid_team", "team names");
        if (!store.exists("teams", org, team))
            throw ApiProblem.notFound("team_not_found", "no team " + team + " in " + org);
    }

    private static void requireSiteAdmin(Principal.User user) {
        if (!user.globalAdmin()) throw ApiProblem.forbidden("this needs the site admin's token");
    }

    private static void validate(OrgSettings s) {
        if (s.weight() != null && !Weights.valid(s.weight()))
            throw ApiProblem.badRequest("invalid_weight", "weight must be 1.." + Weights.MAX);
        if (s.maxRunning() != null && (s.maxRunning() < 0 || s.maxRunning() > MAX_QUOTA))
            throw ApiProblem.badRequest("invalid_max_running", "max_running must be 0 (no limit).." + MAX_QUOTA);
        if (s.maxQueued() != null && (s.maxQueued() < 0 || s.maxQueued() > MAX_QUOTA))
            throw ApiProblem.badRequest("invalid_max_queued", "max_queued must be 0 (no limit).." + MAX_QUOTA);
    }

    public static ApiProblem notFound(String org) {
        return ApiProblem.notFound("org_not_found", "no organisation " + org);
    }
}
