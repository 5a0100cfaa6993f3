package io.iacrunner.protocol;

import java.net.URI;

/**
 * The settings of Terraform's {@code http} backend for one workspace, as {@code ./iac workspace show WS --json} prints
 * them ({@code http_backend}): what goes into {@code backend "http" { … }}. The password is any of our tokens with a
 * role in the workspace ({@code TF_HTTP_PASSWORD}); Terraform sends basic auth only with a user name, any will do.
 */
public record HttpBackendSettings(
        String address, String lockAddress, String unlockAddress, String lockMethod, String unlockMethod) {
    /** Terraform's default methods, which the server serves. */
    public static final String LOCK_METHOD = "LOCK";

    public static final String UNLOCK_METHOD = "UNLOCK";

    /** The settings for {@code workspace} on the server at {@code server} (its base URL, as the client reaches it). */
    public static HttpBackendSettings of(URI server, String workspace) {
        return of(server, null, workspace);
    }

    /**
     * The settings for {@code workspace} of organisation {@code org} (null or {@code default}: the addresses of before
     * organisations). Basic auth names no organisation, so the addresses do: {@code ?org=ORG}, which Terraform keeps
     * when it adds its own {@code ID=} to the state address.
     */
    public static HttpBackendSettings of(URI server, String org, String workspace) {
        String base = server.toString().replaceAll("/+$", "");
        String query = org == null || org.equals("default") ? "" : "?org=" + org;
        String lock = base + ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_LOCK, workspace) + query;
        return new HttpBackendSettings(
                base + ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_STATE, workspace) + query,
                lock,
                lock,
                LOCK_METHOD,
                UNLOCK_METHOD);
    }
}
