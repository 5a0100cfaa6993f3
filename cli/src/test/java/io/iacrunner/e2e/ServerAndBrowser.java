package io.iacrunner.e2e;

import io.iacrunner.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A server of its own and a browser on it, for the web UI's tests that need no real agent (their simulated agents
 * never ping, so the lease is long enough for any machine).
 */
record ServerAndBrowser(TestServer server, Browser browser) implements AutoCloseable {
    static ServerAndBrowser start(Path dir) throws IOException {
        TestServer server = TestServer.start(Duration.ofSeconds(60));
        try {
            return new ServerAndBrowser(server, Browser.start(server.baseUrl(), dir));
        } catch (IOException | RuntimeException e) { // a skip (no chromium) included
            server.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            browser.close();
        } finally {
            server.close();
        }
    }
}
