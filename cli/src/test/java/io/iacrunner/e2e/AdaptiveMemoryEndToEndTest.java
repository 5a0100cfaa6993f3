package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.load.CgroupLoadProbe;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adaptive plan slots against a small memory limit, with real plans: the real server, an agent in this JVM and the real
 * Terraform, whose plans each take a few hundred MiB. The agent's cgroup is a test double: this machine's cgroups
 * belong to the machinery that runs the tests (a v1 memory hierarchy, and a v2 one without controllers), so no limit
 * can be set for the agent alone. The double's {@code memory.current} is what the agent's Terraform processes really
 * use (their resident memory, read from {@code /proc} ten times a second), so the agent reads its real plans' memory
 * against a limit too small for its fixed plan limit. What would have failed for lack of memory is what went over the
 * limit: the test records the most the plans ever used at once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AdaptiveMemoryEndToEndTest {
    private static final int FIXED_LIMIT = 8;
    private static final int PLANS = 8;
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void anAgentWithLittleMemoryClaimsFewerPlansThanItsFixedLimitAndNoneRunsOutOfMemory() throws Exception {
        // One plan: Terraform evaluates 300,000 SHA-512 hashes in a local value, a few seconds and ~250 MiB.
        long perPlan = measureOnePlan();
        // Room for four such plans and the agent's reserve, half what the fixed limit would start. The agent learns a
        // plan's size from its readings (every 2 s) as plans grow, so it starts at one and grows slowly.
        long limit = 4 * perPlan + 256 * MIB;
        Path cgroup = Files.createDirectories(dir.resolve("cgroup"));
        // An idle CPU and no pressure figures, whatever else runs on this machine: memory alone decides.
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 0\n");
        Files.writeString(cgroup.resolve("memory.max"), limit + "\n");
        Files.writeString(cgroup.resolve("memory.stat"), "inactive_file 0\n");
        AtomicLong peak = new AtomicLong();
        try (E2eHarness system = new E2eHarness(dir);
                TerraformMemory memory = new TerraformMemory(cgroup.resolve("memory.current"), peak)) {
            system.server.setPool("default-pool", FIXED_LIMIT, false);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < PLANS; i++) ids.add(system.createTask("memory-" + i, "plan", burningConfig(i)));
            system.startAgent(
                    "small",
                    config -> config.localPlanLimit(FIXED_LIMIT)
                            .adaptive(true)
                            .loadProbe(new CgroupLoadProbe(cgroup, proc, AgentClock.system(), 2)));
            await().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> ids.stream()
                            .allMatch(id -> show(system, id).status().isTerminal()));

            List<TaskView> tasks = ids.stream().map(id -> show(system, id)).toList();
            assertThat(tasks)
                    .allSatisfy(t -> assertThat(t.status()).as(t.taskId()).isEqualTo(TaskStatus.SUCCEEDED));
            int most = PlanConcurrencyTest.maxOverlap(tasks);
            assertThat(most)
                    .as("plans at once, against the fixed limit of %d", FIXED_LIMIT)
                    .isLessThan(FIXED_LIMIT)
                    .isGreaterThan(1);
            assertThat(peak.get())
                    .as(
                            "the most the plans used at once (%d MiB), against the limit (%d MiB); one plan %d MiB",
                            peak.get() / MIB, limit / MIB, perPlan / MIB)
                    .isLessThanOrEqualTo(limit);
        }
    }

    /** Runs one plan of the configuration by itself and returns the most resident memory it used. */
    private long measureOnePlan() throws Exception {
        Path work = Files.createDirectories(dir.resolve("one-plan"));
        Files.writeString(work.resolve("main.tf.json"), burningConfig(-1));
        Process plan = new ProcessBuilder(
                        E2eHarness.terraform().toString(), "plan", "-input=false", "-lock=false", "-no-color")
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("out.txt").toFile())
                .start();
        long most = 0;
        while (!plan.waitFor(50, TimeUnit.MILLISECONDS)) most = Math.max(most, rss(plan.toHandle()));
        assertThat(plan.exitValue())
                .as(Files.readString(work.resolve("out.txt")))
                .isZero();
        assertThat(most).as("a plan's resident memory").isGreaterThan(50 * MIB);
        return most;
    }

    private static String burningConfig(int salt) {
        return "{\"locals\":{\"burn\":\"${length(flatten([for a in range(300) : [for b in range(1000) :"
                + " sha512(\\\"" + salt + "-${a}-${b}\\\")]]))}\"},"
                + "\"output\":{\"hashes\":{\"value\":\"${local.burn}\"}}}";
    }

    private static TaskView show(E2eHarness system, String id) {
        try {
            return system.show(id);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Resident memory of a process in bytes ({@code VmRSS} of {@code /proc/PID/status}); 0 once it has gone. */
    static long rss(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // The process ended between listing and reading.
        }
        return 0;
    }

    /**
     * Writes the resident memory of every Terraform process this JVM started (the agent's plans) into the cgroup
     * double's {@code memory.current}, ten times a second, and keeps the most seen.
     */
    private static final class TerraformMemory implements AutoCloseable {
        private final Thread thread;

        TerraformMemory(Path current, AtomicLong peak) throws IOException {
            Files.writeString(current, "0\n");
            thread = Thread.ofPlatform().daemon().name("terraform-memory").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long used = ProcessHandle.current()
                            .descendants()
                            .filter(p -> p.info().command().orElse("").contains("terraform"))
                            .mapToLong(AdaptiveMemoryEndToEndTest::rss)
                            .sum();
                    peak.accumulateAndGet(used, Math::max);
                    try {
                        Path next = current.resolveSibling("memory.current.new");
                        Files.writeString(next, used + "\n");
                        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                        Thread.sleep(100);
                    } catch (IOException e) {
                        return;
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join();
        }
    }
}
