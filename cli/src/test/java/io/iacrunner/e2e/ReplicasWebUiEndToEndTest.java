package io.iacrunner.e2e;

import static io.iacrunner.e2e.WebUiEndToEndTest.assertContiguous;
import static io.iacrunner.e2e.WebUiEndToEndTest.printing;
import static io.iacrunner.e2e.WebUiEndToEndTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.CuttingProxy;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on the machine's PostgreSQL and Redis behind a round-robin load balancer, and a real browser on the
 * balancer: the browser asks one replica for its WebSocket ticket and opens the WebSocket wherever the balancer sends
 * it, so the run page streams its live log only if the replicas behave as one (tickets in the store, wake-ups and
 * presence through Redis). A cut of every connection makes the page reconnect, with a new ticket, through the
 * balancer again.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicasWebUiEndToEndTest {
    private static final Duration PING = Duration.ofSeconds(5);
    private static final Duration RUN = Duration.ofSeconds(120);

    @TempDir
    static Path dir;

    static ExternalServices.FreshDatabase db;
    static E2eHarness system;
    static TestServer other;
    static CuttingProxy balancer;
    static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        db = ExternalServices.postgres();
        String redis = ExternalServices.redis();
        String prefix = ExternalServices.redisPrefix();
        system = new E2eHarness(dir, c -> db.configure(c).redis(redis, prefix).pingInterval(PING));
        other = TestServer.start(c -> db.configure(c).redis(redis, prefix).pingInterval(PING));
        system.startAgent("replicas-web-ui");
        balancer = new CuttingProxy(
                system.server.baseUrl().getPort(), other.baseUrl().getPort());
        browser = Browser.start(balancer.url(), dir);
        browser.signIn(system.server.adminToken());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) browser.close();
            if (balancer != null) balancer.close();
            if (other != null) other.close();
        } finally {
            if (system != null) system.close();
            if (db != null) db.close();
        }
    }

    @Test
    void aRunPageBehindARoundRobinBalancerStreamsTheLiveLogAndResumesAfterACut() throws Exception {
        Path gate = system.shared().resolve("gate-replicas");
        String id = system.createTask(
                "replicas-web-ui",
                "plan_apply",
                E2eHarness.localExecConfig(
                        UUID.randomUUID().toString(), printing(1, 1000) + waitFor(gate) + printing(1001, 1500)));
        try {
            browser.open("#/runs/" + id);
            Browser.LogModel early = browser.until("lines streaming while the run waits", RUN, () -> {
                Browser.LogModel m = browser.log(true);
                return m != null && m.texts().stream().anyMatch(t -> t.contains("line 1000")) ? m : null;
            });
            assertContiguous(early.seqs(), "the lines received so far");
            assertThat(browser.driver.getTitle()).contains("(running)");

            balancer.cutAll();
            browser.until("the log reconnected", () -> browser.log(false).connects() >= 2 ? true : null);
            Files.createFile(gate);
            browser.until(
                    "the run succeeded",
                    RUN,
                    () -> "ended".equals(browser.log(false).connection())
                                    && browser.driver.getTitle().contains("(succeeded)")
                            ? true
                            : null);
        } finally {
            if (!Files.exists(gate)) Files.createFile(gate); // a failed test must not keep the agent busy
        }
        Browser.LogModel done = browser.log(true);
        TaskView task = other.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
        assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(task.logComplete()).isTrue();
        assertContiguous(done.seqs(), "every line the page received");
        assertThat(done.count()).as("lines in the page vs the stored log").isEqualTo(task.logLines());
        assertThat(done.skipped()).as("lines the page got twice").isZero();
        E2eHarness.assertProvisionerPrinted(done.texts(), 1500, "", "the provisioner's lines, as the page got them");
        assertThat(balancer.connectionsTo(system.server.baseUrl().getPort()))
                .as("connections the balancer gave replica A")
                .isPositive();
        assertThat(balancer.connectionsTo(other.baseUrl().getPort()))
                .as("connections the balancer gave replica B")
                .isPositive();
    }
}
