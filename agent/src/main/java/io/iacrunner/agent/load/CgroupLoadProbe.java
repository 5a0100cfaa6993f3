package io.iacrunner.agent.load;

import io.iacrunner.agent.util.AgentClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads the load from the kernel, container first: in a cgroup with limits those limits are what the agent has,
 * whatever the host's size; without a limit (or outside a cgroup) the machine's figures from {@code /proc} count.
 * Files of a cgroup v2: {@code cpu.max}, {@code cpu.stat} ({@code usage_usec}), {@code cpu.pressure}, {@code
 * memory.max}, {@code memory.current}, {@code memory.stat} ({@code inactive_file}: page cache the kernel drops before
 * it kills anything). On a host with cgroup v1 controllers (alone, or beside a v2 hierarchy without them: "hybrid"),
 * what v2 lacks is read from v1: {@code memory.limit_in_bytes}, {@code memory.usage_in_bytes}, {@code memory.stat}
 * ({@code total_inactive_file}), {@code cpu.cfs_quota_us} and {@code cpu.cfs_period_us}, {@code cpuacct.usage} (ns).
 * Then {@code /proc/stat}, {@code /proc/pressure/cpu}, {@code /proc/meminfo}. A file that is missing or unreadable
 * counts as "no such limit", never as an error: the agent then runs as without adaptation would.
 */
public final class CgroupLoadProbe implements LoadProbe {
    private static final Path SYS_CGROUP = Path.of("/sys/fs/cgroup");
    /** A v1 memory limit this high is the kernel's "no limit" (a page-rounded {@code Long.MAX_VALUE}). */
    private static final long V1_UNLIMITED = 1L << 62;

    /**
     * The agent's cgroup v1 controller directories, each null where that controller is not mounted as v1.
     *
     * @param memory the memory controller's directory
     * @param cpu the cpu controller's (quota and period)
     * @param cpuacct the cpuacct controller's (usage)
     */
    public record V1(Path memory, Path cpu, Path cpuacct) {
        static final V1 NONE = new V1(null, null, null);
    }

    private final Path cgroup;
    private final V1 v1;
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
        this(cgroup, V1.NONE, proc, clock, hostCpus);
    }

    /**
     * @param cgroup the agent's cgroup v2 directory, or null
     * @param v1 its cgroup v1 controllers' directories: what the v2 directory lacks is read there
     */
    public CgroupLoadProbe(Path cgroup, V1 v1, Path proc, AgentClock clock, int hostCpus) {
        this.cgroup = cgroup;
        this.v1 = v1;
        this.proc = proc;
        this.clock = clock;
        this.hostCpus = Math.max(1, hostCpus);
    }

    /** For the agent's own process: its cgroup directories as {@code /proc/self/cgroup} names them. */
    public static CgroupLoadProbe forThisProcess(AgentClock clock) {
        return forProcess(
                Path.of("/proc"), SYS_CGROUP, clock, Runtime.getRuntime().availableProcessors());
    }

    /** As {@link #forThisProcess}, with {@code /proc} and {@code /sys/fs/cgroup} where {@code proc} and {@code sys} are. */
    static CgroupLoadProbe forProcess(Path proc, Path sys, AgentClock clock, int hostCpus) {
        List<String> lines = lines(proc.resolve("self/cgroup"));
        return new CgroupLoadProbe(ownCgroup(lines, sys).orElse(null), ownV1(lines, sys), proc, clock, hostCpus);
    }

    /**
     * The line {@code 0::/path} of a unified (v2) hierarchy, mounted at {@code sys} itself or, on a hybrid host, at
     * {@code sys/unified}; absent on a v1-only machine.
     */
    static Optional<Path> ownCgroup(List<String> lines, Path sys) {
        for (String line : lines) {
            if (!line.startsWith("0::/")) continue;
            for (Path root : List.of(sys, sys.resolve("unified"))) {
                Path dir = root.resolve(line.substring(4));
                if (Files.isRegularFile(dir.resolve("cpu.stat")) || Files.isRegularFile(dir.resolve("memory.max"))) {
                    return Optional.of(dir);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The v1 controllers' directories from lines like {@code 4:memory:/path} or {@code 3:cpu,cpuacct:/path}. In a
     * container the controller's mount often shows the container's own cgroup at its root, where the host's path does
     * not exist: then the root is the agent's.
     */
    static V1 ownV1(List<String> lines, Path sys) {
        Path memory = null;
        Path cpu = null;
        Path cpuacct = null;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3 || f[1].isEmpty() || !f[2].startsWith("/")) continue;
            List<String> controllers = List.of(f[1].split(","));
            String mount = f[1];
            String rel = f[2].substring(1);
            if (controllers.contains("memory")) memory = v1Dir(sys, mount, rel, "memory.limit_in_bytes");
            if (controllers.contains("cpu")) cpu = v1Dir(sys, mount, rel, "cpu.cfs_quota_us");
            if (controllers.contains("cpuacct")) cpuacct = v1Dir(sys, mount, rel, "cpuacct.usage");
        }
        return new V1(memory, cpu, cpuacct);
    }

    private static Path v1Dir(Path sys, String mount, String rel, String file) {
        Path root = sys.resolve(mount);
        Path dir = root.resolve(rel);
        if (Files.isRegularFile(dir.resolve(file))) return dir;
        return Files.isRegularFile(root.resolve(file)) ? root : null;
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
        if (used.isEmpty() && v1.cpuacct() != null) {
            OptionalLong nanos = number(v1.cpuacct().resolve("cpuacct.usage"));
            if (nanos.isPresent()) used = OptionalLong.of(nanos.getAsLong() / 1000);
        }
        if (used.isPresent()) {
            // The cgroup's usage against what its quota (or the host's CPUs) allows in the same wall time.
            long totalMicros = (long) (at / 1000 * cpus());
            return new Sample(at, used.getAsLong(), totalMicros, waiting);
        }
        long[] jiffies = procStat();
        return new Sample(at, jiffies[0], jiffies[1], waiting);
    }

    /**
     * CPUs the quota allows ({@code cpu.max}: "quota period", or "max" for none; in v1 {@code cpu.cfs_quota_us}, -1
     * for none, over {@code cpu.cfs_period_us}), else the host's.
     */
    double cpus() {
        List<String> max = cgroup == null ? List.of() : lines(cgroup.resolve("cpu.max"));
        String[] parts = max.isEmpty() ? new String[0] : max.getFirst().trim().split("\\s+");
        if (parts.length != 2 && v1.cpu() != null) {
            OptionalLong quota = number(v1.cpu().resolve("cpu.cfs_quota_us"));
            OptionalLong period = number(v1.cpu().resolve("cpu.cfs_period_us"));
            if (quota.isPresent() && period.isPresent()) {
                parts = new String[] {Long.toString(quota.getAsLong()), Long.toString(period.getAsLong())};
            }
        }
        if (parts.length == 2 && !parts[0].equals("max")) {
            try {
                double quota = Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]);
                if (quota > 0) return Math.min(quota, hostCpus);
            } catch (NumberFormatException e) {
                // Unreadable: as if there were no quota.
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

    /** {available, limit} in bytes: the cgroup's when it has a limit (v2, else v1), else the machine's. */
    private long[] memory() {
        OptionalLong limit = cgroup == null ? OptionalLong.empty() : number(cgroup.resolve("memory.max"));
        OptionalLong current = cgroup == null ? OptionalLong.empty() : number(cgroup.resolve("memory.current"));
        if (limit.isPresent() && current.isPresent()) {
            long reclaimable =
                    keyed(cgroup.resolve("memory.stat"), "inactive_file").orElse(0);
            return available(limit.getAsLong(), current.getAsLong(), reclaimable);
        }
        if (v1.memory() != null) {
            limit = number(v1.memory().resolve("memory.limit_in_bytes"));
            current = number(v1.memory().resolve("memory.usage_in_bytes"));
            if (limit.isPresent() && limit.getAsLong() < V1_UNLIMITED && current.isPresent()) {
                long reclaimable = keyed(v1.memory().resolve("memory.stat"), "total_inactive_file")
                        .orElse(keyed(v1.memory().resolve("memory.stat"), "inactive_file")
                                .orElse(0));
                return available(limit.getAsLong(), current.getAsLong(), reclaimable);
            }
        }
        Path meminfo = proc.resolve("meminfo");
        long total = keyed(meminfo, "MemTotal:").orElse(0) * 1024;
        long available = keyed(meminfo, "MemAvailable:").orElse(total / 1024) * 1024;
        return new long[] {available, total};
    }

    private static long[] available(long limit, long current, long reclaimable) {
        long used = Math.max(0, current - reclaimable);
        return new long[] {Math.max(0, limit - used), limit};
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
