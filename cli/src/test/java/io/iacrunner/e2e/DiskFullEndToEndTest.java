package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.Agent;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.protocol.testing.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose work directory is on a small real file system (a 64 MiB tmpfs): a full disk is the platform's error,
 * not Terraform's. A run that fills it ends errored saying so, keeps every line already spooled, and keeps its
 * workspace locked, since its apply had started; an agent short of space claims nothing, says so in its pings, and
 * the queue goes to an agent with room.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DiskFullEndToEndTest {
    private static final long MIN_FREE = 8L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void aRunThatFillsTheDiskIsErroredWithTheCauseAndTheAgentClaimsNothingUntilSpaceIsFreed() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir, 64);
                E2eHarness h = new E2eHarness(dir.resolve("system"))) {
            Agent small = h.startAgent(
                    "small-disk", c -> c.workDir(disk.path().resolve("work")).minFreeDisk(MIN_FREE));
            ApiClient admin = h.server.admin();

            // The apply prints 200 lines, then fills the disk from its own directory and fails for it.
            String marker = UUID.randomUUID().toString();
            String filler = "for i in $(seq 1 200); do echo line $i; done; head -c 200000000 /dev/zero > filler; s=$?;"
                    + " echo fill-status $s; exit $s";
            String id = h.createTask("fills-the-disk", "plan_apply", E2eHarness.localExecConfig(marker, filler));
            TaskView errored = Applies.awaitEnd(admin, id, Duration.ofSeconds(120));

            assertThat(errored.status()).as(errored.message()).isEqualTo(TaskStatus.ERRORED);
            assertThat(errored.message()).contains("no space left on device on agent " + small.agentId());
            String log = E2eHarness.plain(h.logText(id));
            assertThat(log).contains("no space left on device on agent " + small.agentId());
            assertThat(E2eHarness.numberedLines(log))
                    .as("no line spooled before the disk filled is lost")
                    .containsSequence(IntStream.rangeClosed(1, 200).boxed().toList());
            if (!errored.logComplete())
                assertThat(errored.logIncompleteReason()).contains("no space left on device");
            WorkspaceView ws = h.workspace("fills-the-disk");
            assertThat(ws.lock())
                    .as("its apply had started: what it changed is unknown")
                    .isNotNull();
            assertThat(ws.lock().reason()).contains("no space left on device");

            // Space runs short from outside: the agent says so and claims nothing.
            Path ballast = disk.fill("ballast", 2L * 1024 * 1024);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> h.cli("agents").out().contains("disk full"));
            // Real time is the point here and below: a real agent's long poll, sent before the disk filled (5 s), must
            // have ended, and nothing may be claimed while a pulling agent would have claimed it at once.
            Thread.sleep(6_000);
            String first = h.createTask("elsewhere", "plan", E2eHarness.printingConfig(3, null));
            String second = h.createTask("elsewhere-too", "plan", E2eHarness.printingConfig(3, null));
            Thread.sleep(3_000);
            assertThat(List.of(h.show(first).status(), h.show(second).status()))
                    .as("the full agent took nothing")
                    .containsOnly(TaskStatus.QUEUED);
            Agent roomy = h.startAgent("roomy");
            for (String plan : List.of(first, second)) {
                TaskView done = Applies.awaitEnd(admin, plan, Duration.ofSeconds(60));
                assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
                assertThat(done.agentId()).isEqualTo(roomy.agentId());
            }
            roomy.close();

            // Space is freed: the agent works again.
            Files.delete(ballast);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !h.cli("agents").out().contains("disk full"));
            String third = h.createTask("after-cleanup", "plan", E2eHarness.printingConfig(3, null));
            TaskView done = Applies.awaitEnd(admin, third, Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.agentId()).isEqualTo(small.agentId());
            small.close();
        }
    }
}
