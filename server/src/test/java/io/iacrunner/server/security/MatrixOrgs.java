package io.iacrunner.server.security;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TeamView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.server.testing.TestServer;
import java.util.Map;

/**
 * The permission matrix's callers from organisations, made through the API: an owner of {@code default} (where the
 * matrix's workspace is), users of {@code default} in a team per role on that workspace and one in no team, and the
 * owner and a pool token of another organisation.
 */
record MatrixOrgs(TestServer server, String workspace, String owner, String strangerOwner, String strangerPoolToken) {
    static final String OTHER_ORG = "matrix-stranger";

    static MatrixOrgs create(TestServer server, String workspace) {
        server.admin().post(ApiPaths.ORGS, new OrgSettings(OTHER_ORG, null, null, null), OrgView.class);
        String owner = ownerToken(server, "default");
        String stranger = ownerToken(server, OTHER_ORG);
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "theirs") + "?org=" + OTHER_ORG,
                        new PoolConfig("theirs", 1, false, Map.of()),
                        PoolConfig.class);
        String pool = server.admin()
                .post(ApiPaths.fill(ApiPaths.POOL_TOKENS, "theirs") + "?org=" + OTHER_ORG, Map.of(), PoolToken.class)
                .token();
        return new MatrixOrgs(server, workspace, owner, stranger, pool);
    }

    private static String ownerToken(TestServer server, String org) {
        return server.admin()
                .post(
                        ApiPaths.TOKENS + "?org=" + org,
                        new CreateTokenRequest("owner of " + org, null, null, null, null, true, null),
                        TokenCreated.class)
                .token();
    }

    /** A user of {@code default} in a team of its own holding {@code role} on the workspace (null: in no team). */
    String memberToken(Role role) {
        String name = "member-" + (role == null ? "none" : role.wireName());
        server.admin().post(ApiPaths.fill(ApiPaths.ORG_USERS, "default"), new NameRequest(name), NameRequest.class);
        if (role != null) {
            String team = "team-" + role.wireName();
            server.admin().post(ApiPaths.fill(ApiPaths.ORG_TEAMS, "default"), new NameRequest(team), NameRequest.class);
            server.admin()
                    .post(
                            ApiPaths.fill(ApiPaths.ORG_TEAM_MEMBERS, "default", team),
                            new NameRequest(name),
                            NameRequest.class);
            server.admin()
                    .post(
                            ApiPaths.fill(ApiPaths.ORG_TEAM_GRANTS, "default", team),
                            new TeamView.Grant(workspace, role),
                            TeamView.Grant.class);
        }
        return server.admin()
                .post(
                        ApiPaths.TOKENS,
                        new CreateTokenRequest("user " + name, null, null, null, null, null, name),
                        TokenCreated.class)
                .token();
    }
}
