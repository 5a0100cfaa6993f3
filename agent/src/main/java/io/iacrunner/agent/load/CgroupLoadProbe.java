package io.iacrunner.agent.load;

import io.iacrunner.agent.util.AgentClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads the load from the kernel, container first: in a cgroup v2 with limits ({@code cpu.max}, {@code memory.max})
 * those limits are what the agent has, whatever the host's size; without a limit (or outside a cgroup v2) the machine's
 * figures from {@code /proc} count. Files: {@code cpu.max}, {@code cpu.stat} ({@code usage_usec}), {@code cpu.pressure},
 * {@code memory.max}, {@code memory.current}, {@code memory.stat} ({@code inactive_file}: page cache the kernel drops
 * before it kills anything); {@code /proc/stat}, {@code /proc/pressure/cpu}, {@code /proc/meminfo}. A file that is
 * missing or unreadable counts as "no such limit", never as an error: the agent then runs as without adaptation would.
 */
public final class CgroupLoadProbe implements LoadProbe {
    private static final Path SYS_CGROUP = Path.of("/sys/fs/cgroup");

    private final Path cgroup;
    private final Path proc;
    private final AgentClock clock;
    private final int hostCpus;
    private Sample last;

    /** Cumulative counters at one moment; CPU shares are differences between two samples. */
    private record Sample(long atNanos, long cpuUsedMicros, long cpuTotalMicros, long waitingMicros) {}

    /**
     * @param cgroup the agent's cgroup v2 directory, or null outside one
     * @param proc the {@code /proc} directory
     * @param hostCpus the CPUs the agent may use when no quota says otherwise
     */
    public CgroupLoadProbe(Path cgroup, Path proc, AgentClock clock, int hostCpus) {
        this.cgroup = cgroup;
        this.proc = proc;
        this.clock = clock;
        this.hostCpus = Math.max(1, hostCpus);
    }

    /** For the agent's own process: its cgroup v2 directory as {@code /proc/self/cgroup} names it. */
    public static CgroupLoadProbe forThisProcess(AgentClock clock) {
        Path proc = Path.of("/proc");
        return new CgroupLoadProbe(
                ownCgroup(proc).orElse(null), proc, clock, Runtime.getRuntime().availableProcessors());
    }

    /** The line {@code 0::/path} of a unified (v2) hierarchy; absent on a v1-only machine. */
    static Optional<Path> ownCgroup(Path proc) {
        for (String line : lines(proc.resolve("self/cgroup"))) {
            if (line.startsWith("0::/")) {
                Path dir = SYS_CGROUP.resolve(line.substring(4));
                if (Files.isRegularFile(dir.resolve("cpu.stat")) || Files.isRegularFile(dir.resolve("memory.max"))) {
                    return Optional.of(dir);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized Load read() {
        Sample now = sample();
        Sample before = last;
        last = now;
        double busy = Load.UNKNOWN;
        double waiting = Load.UNKNOWN;
        if (before != null && now.cpuTotalMicros > before.cpuTotalMicros) {
            busy = Math.clamp(
                    (double) (now.cpuUsedMicros - before.cpuUsedMicros) / (now.cpuTotalMicros - before.cpuTotalMicros),
                    0,
                    1);
        }
        long wallMicros = before == null ? 0 : (now.atNanos - before.atNanos) / 1000;
        if (before != null && now.waitingMicros >= 0 && before.waitingMicros >= 0 && wallMicros > 0) {
            waiting = Math.clamp((double) (now.waitingMicros - before.waitingMicros) / wallMicros, 0, 1);
        }
        long[] memory = memory();
        return new Load(busy, waiting, memory[0], memory[1]);
    }

    private Sample sample() {
        long at = clock.nanoTime();
        long waiting = pressureTotal();
        OptionalLong used = cgroup == null ? OptionalLong.empty() : keyed(cgroup.resolve("cpu.stat"), "usage_usec");
        if (used.isPresent()) {
            // The cgroup's usage against what its quota (or the host's CPUs) allows in the same wall time.
            long totalMicros = (long) (at / 1000 * cpus());
            return new Sample(at, used.getAsLong(), totalMicros, waiting);
        }
        long[] jiffies = procStat();
        return new Sample(at, jiffies[0], jiffies[1], waiting);
    }

    /** CPUs the quota allows ({@code cpu.max}: "quota period", or "max" for none), else the host's. */
    double cpus() {
        List<String> max = cgroup == null ? List.of() : lines(cgroup.resolve("cpu.max"));
        if (!max.isEmpty()) {
            String[] parts = max.getFirst().trim().split("\\s+");
            if (parts.length == 2 && !parts[0].equals("max")) {
                try {
                    double quota = Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]);
                    if (quota > 0) return Math.min(quota, hostCpus);
                } catch (NumberFormatException e) {
                    // Unreadable: as if there were no quota.
                }
            }
        }
        return hostCpus;
    }

    /** Busy and total jiffies of the whole machine, from the first line of /proc/stat; zeros when unreadable. */
    private long[] procStat() {
        List<String> stat = lines(proc.resolve("stat"));
        if (stat.isEmpty() || !stat.getFirst().startsWith("cpu ")) return new long[] {0, 0};
        String[] f = stat.getFirst().trim().split("\\s+");
        long total = 0;
        long idle = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            long v = Long.parseLong(f[i]);
            total += v;
            if (i == 4 || i == 5) idle += v; // idle, iowait
        }
        return new long[] {total - idle, total};
    }

    /** Microseconds during which some task waited for a CPU, cumulative; -1 where the kernel has no PSI. */
    private long pressureTotal() {
        Path file = cgroup != null && Files.isRegularFile(cgroup.resolve("cpu.pressure"))
                ? cgroup.resolve("cpu.pressure")
                : proc.resolve("pressure/cpu");
        for (String line : lines(file)) {
            if (!line.startsWith("some ")) continue;
            for (String field : line.split("\\s+")) {
                if (field.startsWith("total=")) return Long.parseLong(field.substring(6));
            }
        }
        return -1;
    }

    /** {available, limit} in bytes: the cgroup's when it has a limit, else the machine's. */
    private long[] memory() {
        OptionalLong limit = cgroup == null ? OptionalLong.empty() : number(cgroup.resolve("memory.max"));
        OptionalLong current = cgroup == null ? OptionalLong.empty() : number(cgroup.resolve("memory.current"));
        if (limit.isPresent() && current.isPresent()) {
            long reclaimable =
                    keyed(cgroup.resolve("memory.stat"), "inactive_file").orElse(0);
            long used = Math.max(0, current.getAsLong() - reclaimable);
            return new long[] {Math.max(0, limit.getAsLong() - used), limit.getAsLong()};
        }
        Path meminfo = proc.resolve("meminfo");
        long total = keyed(meminfo, "MemTotal:").orElse(0) * 1024;
        long available = keyed(meminfo, "MemAvailable:").orElse(total / 1024) * 1024;
        return new long[] {available, total};
    }

    /** A file holding one number; empty for "max" (no limit) or a missing file. */
    private static OptionalLong number(Path file) {
        List<String> lines = lines(file);
        if (lines.isEmpty()) return OptionalLong.empty();
        try {
            return OptionalLong.of(Long.parseLong(lines.getFirst().trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The number after {@code key} in a "key value [unit]" file. */
    private static OptionalLong keyed(Path file, String key) {
        for (String line : lines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals(key)) {
                try {
                    return OptionalLong.of(Long.parseLong(f[1]));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
