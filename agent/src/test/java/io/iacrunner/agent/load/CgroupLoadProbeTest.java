package io.iacrunner.agent.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.iacrunner.agent.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's files are test doubles here: a cgroup v2 directory and a /proc written by the test. */
class CgroupLoadProbeTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private Path cgroup;
    private Path proc;
    private final ManualClock clock = new ManualClock();

    @BeforeEach
    void setUp() throws IOException {
        cgroup = Files.createDirectories(dir.resolve("cgroup"));
        proc = Files.createDirectories(dir.resolve("proc/pressure"));
        proc = proc.getParent();
        write(proc.resolve("meminfo"), "MemTotal:       16384000 kB\nMemFree:  100 kB\nMemAvailable:    8192000 kB\n");
        write(proc.resolve("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 1 1 1\n");
        write(proc.resolve("pressure/cpu"), "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
    }

    @Test
    void theContainersQuotaAndMemoryLimitCountNotTheMachines() throws IOException {
        write(cgroup.resolve("cpu.max"), "150000 100000\n"); // 1.5 CPUs of the host's 8
        write(cgroup.resolve("cpu.stat"), "usage_usec 1000000\nuser_usec 1\nsystem_usec 1\n");
        write(cgroup.resolve("cpu.pressure"), "some avg10=1.00 avg60=0.00 avg300=0.00 total=500000\n");
        write(cgroup.resolve("memory.max"), (1024 * MIB) + "\n");
        write(cgroup.resolve("memory.current"), (900 * MIB) + "\n");
        write(cgroup.resolve("memory.stat"), "anon 1\nfile 2\ninactive_file " + (100 * MIB) + "\n");
        CgroupLoadProbe probe = new CgroupLoadProbe(cgroup, proc, clock, 8);

        Load first = probe.read();
        assertThat(first.cpuBusy()).as("no earlier reading to compare with").isEqualTo(-1);
        assertThat(first.memLimit()).isEqualTo(1024 * MIB);
        assertThat(first.memAvailable())
                .as("the limit less what is used, droppable cache not counted")
                .isEqualTo(224 * MIB);

        clock.advance(Duration.ofSeconds(2));
        write(cgroup.resolve("cpu.stat"), "usage_usec 3700000\n"); // 2.7 s of CPU in 2 s of 1.5 CPUs
        write(cgroup.resolve("cpu.pressure"), "some avg10=1.00 avg60=0.00 avg300=0.00 total=1500000\n");
        Load second = probe.read();

        assertThat(probe.cpus()).isEqualTo(1.5);
        assertThat(second.cpuBusy()).isCloseTo(0.9, within(1e-9));
        assertThat(second.cpuWaiting()).as("1 s of 2 s some task waited").isCloseTo(0.5, within(1e-9));
    }

    @Test
    void withoutLimitsTheMachinesFiguresFromProcCount() throws IOException {
        write(cgroup.resolve("cpu.max"), "max 100000\n");
        write(cgroup.resolve("memory.max"), "max\n");
        write(cgroup.resolve("memory.current"), (900 * MIB) + "\n");
        CgroupLoadProbe probe = new CgroupLoadProbe(cgroup, proc, clock, 2);

        probe.read();
        clock.advance(Duration.ofSeconds(1));
        write(proc.resolve("stat"), "cpu  250 0 150 850 50 0 0 0 0 0\n"); // 200 busy of 300 jiffies
        write(proc.resolve("pressure/cpu"), "some avg10=0.00 avg60=0.00 avg300=0.00 total=1250000\n");
        Load load = probe.read();

        assertThat(probe.cpus()).isEqualTo(2);
        assertThat(load.cpuBusy()).isCloseTo(200.0 / 300, within(1e-9));
        assertThat(load.cpuWaiting()).isCloseTo(0.25, within(1e-9));
        assertThat(load.memLimit()).isEqualTo(16384000L * 1024);
        assertThat(load.memAvailable()).isEqualTo(8192000L * 1024);
        assertThat(load.memUsage()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void outsideACgroupAndWithoutPressureInformationTheWaitingIsUnknown() throws IOException {
        Files.delete(proc.resolve("pressure/cpu"));
        CgroupLoadProbe probe = new CgroupLoadProbe(null, proc, clock, 4);

        probe.read();
        clock.advance(Duration.ofSeconds(1));
        Load load = probe.read();

        assertThat(load.cpuWaiting()).isEqualTo(-1);
        assertThat(load.cpuBusy())
                .as("/proc/stat did not move: no time passed for it")
                .isEqualTo(-1);
        assertThat(load.memAvailable()).isEqualTo(8192000L * 1024);
    }

    @Test
    void onACgroupV1HostTheContainersQuotaAndMemoryLimitCountToo() throws IOException {
        Path memory = Files.createDirectories(dir.resolve("v1/memory"));
        Path cpu = Files.createDirectories(dir.resolve("v1/cpu"));
        write(memory.resolve("memory.limit_in_bytes"), (1024 * MIB) + "\n");
        write(memory.resolve("memory.usage_in_bytes"), (900 * MIB) + "\n");
        write(memory.resolve("memory.stat"), "inactive_file 1\ntotal_inactive_file " + (100 * MIB) + "\n");
        write(cpu.resolve("cpu.cfs_quota_us"), "50000\n");
        write(cpu.resolve("cpu.cfs_period_us"), "100000\n");
        write(cpu.resolve("cpuacct.usage"), "1000000000\n"); // ns
        CgroupLoadProbe probe = new CgroupLoadProbe(null, new CgroupLoadProbe.V1(memory, cpu, cpu), proc, clock, 8);

        Load first = probe.read();
        clock.advance(Duration.ofSeconds(2));
        write(cpu.resolve("cpuacct.usage"), "1800000000\n"); // 0.8 s of CPU in 2 s of half a CPU
        Load second = probe.read();

        assertThat(first.memLimit()).isEqualTo(1024 * MIB);
        assertThat(first.memAvailable()).isEqualTo(224 * MIB);
        assertThat(probe.cpus()).isEqualTo(0.5);
        assertThat(second.cpuBusy()).isCloseTo(0.8, within(1e-9));
    }

    @Test
    void aV1MemoryControllerWithoutALimitLeavesTheMachinesMemory() throws IOException {
        Path memory = Files.createDirectories(dir.resolve("v1/memory"));
        write(memory.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
        write(memory.resolve("memory.usage_in_bytes"), (900 * MIB) + "\n");
        CgroupLoadProbe probe = new CgroupLoadProbe(null, new CgroupLoadProbe.V1(memory, null, null), proc, clock, 2);

        Load load = probe.read();

        assertThat(load.memLimit()).isEqualTo(16384000L * 1024);
        assertThat(load.memAvailable()).isEqualTo(8192000L * 1024);
    }

    @Test
    void findsItsCgroupsOnAHybridHostAndInsideAV1Container() throws IOException {
        Path sys = Files.createDirectories(dir.resolve("sys"));
        Files.createDirectories(sys.resolve("unified/agent.scope"));
        write(sys.resolve("unified/agent.scope/cpu.stat"), "usage_usec 1\n");
        Files.createDirectories(sys.resolve("memory/agent.scope"));
        write(sys.resolve("memory/agent.scope/memory.limit_in_bytes"), (512 * MIB) + "\n");
        write(sys.resolve("memory/agent.scope/memory.usage_in_bytes"), (128 * MIB) + "\n");
        // The container sees its own cpu,cpuacct cgroup at the mount's root; the host's path is not there.
        Files.createDirectories(sys.resolve("cpu,cpuacct"));
        write(sys.resolve("cpu,cpuacct/cpu.cfs_quota_us"), "200000\n");
        write(sys.resolve("cpu,cpuacct/cpu.cfs_period_us"), "100000\n");
        write(sys.resolve("cpu,cpuacct/cpuacct.usage"), "5\n");
        Files.createDirectories(proc.resolve("self"));
        write(
                proc.resolve("self/cgroup"),
                "9:name=systemd:/\n4:memory:/agent.scope\n3:cpu,cpuacct:/docker/abc\n0::/agent.scope\n");

        CgroupLoadProbe probe = CgroupLoadProbe.forProcess(proc, sys, clock, 8);

        assertThat(CgroupLoadProbe.ownCgroup(Files.readAllLines(proc.resolve("self/cgroup")), sys))
                .contains(sys.resolve("unified/agent.scope"));
        assertThat(CgroupLoadProbe.ownV1(Files.readAllLines(proc.resolve("self/cgroup")), sys))
                .isEqualTo(new CgroupLoadProbe.V1(
                        sys.resolve("memory/agent.scope"), sys.resolve("cpu,cpuacct"), sys.resolve("cpu,cpuacct")));
        assertThat(probe.cpus()).isEqualTo(2);
        assertThat(probe.read().memAvailable()).isEqualTo(384 * MIB);
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
