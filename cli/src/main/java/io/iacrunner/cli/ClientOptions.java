package io.iacrunner.cli;

import io.iacrunner.protocol.ApiClient;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --server} and {@code --token-file}, shared by every client command (a picocli mixin). */
public final class ClientOptions {
    public static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    private final CliContext ctx;

    @Option(
            names = "--server",
            paramLabel = "URL",
            description = "Server base URL (env IAC_SERVER; default " + DEFAULT_SERVER + ").")
    String server;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "File holding the bearer token (env IAC_TOKEN_FILE, or IAC_TOKEN with the token itself; "
                    + "default ./.iac-data/admin.token when it exists).")
    Path tokenFile;

    @Option(
            names = "--org",
            paramLabel = "ORG",
            description = "The organisation the command is about (env IAC_ORG; default: default).")
    String org;

    @Mixin
    TransportOptions transport;

    public ClientOptions(CliContext ctx) {
        this.ctx = ctx;
    }

    public URI serverUrl() {
        return parseServerUrl(
                server != null ? server : ctx.env("IAC_SERVER") != null ? ctx.env("IAC_SERVER") : DEFAULT_SERVER);
    }

    public ApiClient client() {
        URI url = serverUrl();
        String token = Tokens.resolve(tokenFile, ctx).token();
        try {
            return new ApiClient(url, () -> token, transport.transport()).withOrg(org());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** {@code --org}, else {@code IAC_ORG}, else {@code default}. */
    public String org() {
        String chosen = explicitOrg();
        return chosen == null ? "default" : chosen;
    }

    /** {@code --org}, else {@code IAC_ORG}; null when neither names one. */
    public String explicitOrg() {
        String chosen = org != null ? org : ctx.env("IAC_ORG");
        return chosen == null || chosen.isBlank() ? null : chosen.trim();
    }

    static URI parseServerUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new UsageException("server URL '" + text + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new UsageException("server URL '" + text + "' must look like http://HOST:PORT");
        }
        return uri;
    }
}
