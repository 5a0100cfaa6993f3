package io.iacrunner.server.tfapi;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.javalin.http.Context;
import java.util.Map;

/**
 * The first steps of Terraform's {@code cloud} block against this server (issue 18, groundwork): service discovery
 * names where the Terraform Cloud API lives, and its client's ping learns the API version. Both are public, as in
 * Terraform Cloud: they say nothing about any workspace. Organisations, workspaces and runs under
 * {@link ApiPaths#TFE_PREFIX} are not served yet (404), so {@code terraform init} stops at the organisation lookup.
 */
public final class TerraformCloudRoutes implements Routes {
    /**
     * The API version announced on the ping. Terraform's {@code cloud} block needs 2.5 or later; the version says what
     * the client may expect, and only the part Terraform's CLI uses is meant to be built.
     */
    static final String API_VERSION = "2.5";

    @Override
    public void register(RouteTable t) {
        t.get(ApiPaths.TERRAFORM_DISCOVERY, this::discovery);
        t.get(ApiPaths.TFE_PING, this::ping);
    }

    /** Relative URLs: Terraform resolves them against the discovery document's own, so any host name works. */
    private void discovery(Context ctx) {
        ctx.json(Map.of(
                "tfe.v2", ApiPaths.TFE_PREFIX, "tfe.v2.1", ApiPaths.TFE_PREFIX, "tfe.v2.2", ApiPaths.TFE_PREFIX));
    }

    private void ping(Context ctx) {
        ctx.header("TFP-API-Version", API_VERSION).status(204);
    }
}
