package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.CuttingProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The network between an agent and the server goes silent while the agent applies, with the production timings
 * (5 s pings, a 120 s lease, a 24 h lost-apply window) and a link that drops packets rather than refusing them, so
 * every request waits out its own timeout: a 60 s cut (half the lease) and a 5 minute one (more than twice the lease).
 * Neither costs the run anything: the apply goes on, and its outcome, its every log line (once) and its state reach
 * the server when the link is back. Real time is the point here, so these tests wait; they wait side by side.
 */
@Order(1) // first: its two tests wait out their outages side by side while every other class runs
@Execution(ExecutionMode.CONCURRENT)
class OutagesEndToEndTest {
    private static final int LINES = 100_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aSixtySecondNetworkCutMidApplyCostsNothing() throws Exception {
        Path own = dir.resolve("cut-60s");
        try (E2eHarness h = new E2eHarness(own, E2eHarness::productionTimings);
                CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            h.startAgent("cut-60s", c -> c.serverUrl(proxy.url()));
            ApiClient admin = h.server.admin();
            String id = Applies.create(admin, "cut-60s", Applies.printing("cut60-" + System.nanoTime(), LINES, "1"));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Applies.task(admin, id).logLines() >= LINES / 10);

            proxy.blackhole(true);
            Instant cut = Instant.now();
            // Real time is the point: the cut must outlast every timeout of the real agent and server it could race.
            Thread.sleep(Duration.ofSeconds(60).toMillis());
            TaskView during = Applies.task(admin, id);
            proxy.blackhole(false);
            System.out.println("OutagesEndToEndTest: link silent for "
                    + Duration.between(cut, Instant.now()).toSeconds() + " s");

            assertThat(during.status())
                    .as("nothing was given up during the cut")
                    .isEqualTo(TaskStatus.RUNNING);
            assertThat(during.agentUnreachableSince()).as("within the lease").isNull();
            TaskView done = Applies.awaitEnd(admin, id, Duration.ofMinutes(3));
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).as("never run again").isEqualTo(1);
            Applies.assertExactLog(admin, done, LINES);
            assertThat(admin.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "cut-60s")))
                    .as("the state, stored")
                    .contains("terraform_data");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void anApplyThatFinishesWhileItsAgentIsUnreachableForFiveMinutesIsDeliveredWhenTheLinkIsBack() throws Exception {
        Path own = dir.resolve("cut-5min");
        try (E2eHarness h = new E2eHarness(own, E2eHarness::productionTimings);
                CuttingProxy proxy = new CuttingProxy(h.server.baseUrl().getPort())) {
            h.startAgent("cut-5min", c -> c.serverUrl(proxy.url()));
            ApiClient admin = h.server.admin();
            int lines = 2_000;
            String id = Applies.create(admin, "cut-5min", Applies.printing("cut5-" + System.nanoTime(), lines, "1"));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Applies.task(admin, id).phase() == TaskPhase.APPLYING);

            proxy.blackhole(true);
            Instant cut = Instant.now();
            // Past the lease the server notes the agent as unreachable and waits for its apply, which meanwhile ends.
            TaskView waiting = await().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> Applies.task(admin, id), t -> t.agentUnreachableSince() != null);
            assertThat(waiting.status()).isEqualTo(TaskStatus.RUNNING);
            assertThat(h.workspace("cut-5min").lock().reason()).contains("unreachable");
            // Real time is the point, as above: five minutes, longer than the lease and every retry.
            Thread.sleep(Duration.ofMinutes(5)
                    .minus(Duration.between(cut, Instant.now()))
                    .toMillis());
            assertThat(Applies.task(admin, id).status())
                    .as("still waited for after 5 minutes")
                    .isEqualTo(TaskStatus.RUNNING);
            proxy.blackhole(false);
            System.out.println("OutagesEndToEndTest: link silent for "
                    + Duration.between(cut, Instant.now()).toSeconds() + " s");

            TaskView done = Applies.awaitEnd(admin, id, Duration.ofMinutes(2));
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.attempt()).isEqualTo(1);
            assertThat(done.agentUnreachableSince()).isNull();
            Applies.assertExactLog(admin, done, lines);
            assertThat(admin.getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "cut-5min")))
                    .contains("terraform_data");
            assertThat(h.workspace("cut-5min").lock())
                    .as("released with the real outcome")
                    .isNull();
        }
    }
}
