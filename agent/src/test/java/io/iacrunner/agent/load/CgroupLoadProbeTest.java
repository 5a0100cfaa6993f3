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

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
