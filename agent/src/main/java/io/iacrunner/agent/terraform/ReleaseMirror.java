package io.iacrunner.agent.terraform;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * Where a product's release files are downloaded from. A plain URL is laid out like releases.hashicorp.com:
 * {@code <url>/<product>/<version>/<files>}. A URL with {@code {version}} in it names each release's directory
 * itself, for mirrors laid out otherwise, such as OpenTofu's GitHub releases
 * ({@code https://github.com/opentofu/opentofu/releases/download/v{version}/}).
 *
 * <p>The files' integrity rests on the mirror: the zip is checked against the {@code SHA256SUMS} served beside it
 * (their signature is not checked), so a mirror should be HTTPS or inside a network the operator trusts.
 */
public record ReleaseMirror(String location) {
    static final String VERSION_PLACEHOLDER = "{version}";

    public ReleaseMirror {
        Objects.requireNonNull(location, "location");
        URI sample = parse(location.replace(VERSION_PLACEHOLDER, "1.0.0"), location);
        if (!"https".equals(sample.getScheme()) && !"http".equals(sample.getScheme())) {
            throw new IllegalArgumentException("release mirror " + location + " is not an http(s) URL");
        }
        if (sample.getHost() == null || sample.getRawQuery() != null || sample.getRawFragment() != null) {
            throw new IllegalArgumentException("release mirror " + location + " needs a host and no query or fragment");
        }
    }

    public static ReleaseMirror of(String location) {
        return new ReleaseMirror(location);
    }

    /** The directory holding one release's files, ending in {@code /}; {@code version} must already be validated. */
    URI directory(TerraformProduct product, String version) {
        String url = location.contains(VERSION_PLACEHOLDER)
                ? location.replace(VERSION_PLACEHOLDER, version)
                : trimSlashes(location) + "/" + product.command() + "/" + version;
        return parse(url.endsWith("/") ? url : url + "/", location);
    }

    private static String trimSlashes(String url) {
        String trimmed = url;
        while (trimmed.endsWith("/")) trimmed = trimmed.substring(0, trimmed.length() - 1);
        return trimmed;
    }

    private static URI parse(String url, String configured) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("release mirror " + configured + " is not a URL: " + e.getMessage(), e);
        }
    }
}
