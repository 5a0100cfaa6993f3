package io.iacrunner.server.web;

import java.util.Map;

/**
 * Response headers of the web UI's files. The UI is plain modules from this origin that call this origin's API: the
 * policy allows nothing else (no inline script, no other host, no framing), so an HTML injection in a log line or a
 * workspace name could run nothing even if the renderer's escaping failed. No caching beyond revalidation, so an
 * upgraded server is never paired with stale modules in a browser.
 */
final class WebUiHeaders {
    static final Map<String, String> ALL = Map.of(
            "Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                            + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    private WebUiHeaders() {}
}
