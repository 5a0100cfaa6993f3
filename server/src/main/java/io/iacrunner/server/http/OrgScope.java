package io.iacrunner.server.http;

import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import io.javalin.http.Context;

/**
 * The organisation a request is about: {@code ?org=ORG} on any route, {@code default} when left out, so that every
 * client of before organisations keeps working unchanged. A workspace's or a pool's name in a request becomes its key
 * in that organisation here ({@link OrgNames}); whether the caller may see it is then the ordinary role check on the
 * key, which answers alike for an organisation that does not exist and one the caller may not see.
 */
public final class OrgScope {
    public static final String PARAM = "org";

    private OrgScope() {}

    /** The organisation named by {@code ?org=}, checked as a name (400 {@code invalid_org}); default when absent. */
    public static String org(Context ctx) {
        String org = ctx.queryParam(PARAM);
        if (org == null || org.isEmpty()) return OrgNames.DEFAULT;
        return Ids.requireName(org, "invalid_org", "organisation names");
    }

    /** The key of the workspace named by the path's {@code {workspace_id}} in the request's organisation. */
    public static String workspace(Context ctx) {
        return workspace(ctx, ctx.pathParam("workspace_id"));
    }

    /** The key of workspace {@code name} in the request's organisation (400 for a name that is not one). */
    public static String workspace(Context ctx, String name) {
        return OrgNames.qualify(org(ctx), Ids.requireWorkspaceName(name));
    }

    /** The key of the pool named by the path's {@code {pool_id}} in the request's organisation. */
    public static String pool(Context ctx) {
        return OrgNames.qualify(org(ctx), Ids.requireName(ctx.pathParam("pool_id"), "invalid_pool_id", "pool ids"));
    }
}
