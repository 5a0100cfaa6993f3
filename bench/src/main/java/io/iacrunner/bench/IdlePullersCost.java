package io.iacrunner.bench;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.server.IacServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * What one queued task costs in CPU while many agents long-poll idle: the server process's (this JVM, where the
 * simulated agents' clients run too) plus PostgreSQL's (the postmaster and every backend), from /proc. Tasks are
 * queued one at a time, each claimed and reported by whichever idle agent the server gives it to before the next is
 * queued, so every task meets all the agents waiting. The CPU an equally long window without tasks costs (the
 * pulls' own renewals, the server's timers) is subtracted: what is left is the work a task brings.
 */
final class IdlePullersCost {
    /** Long enough that an idle window sees few renewals, shorter than the server's maximum (25 s). */
    private static final int WAIT_SECONDS = 20;

    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private IdlePullersCost() {}

    /** One measurement: CPU per task with {@code idle} agents waiting, and queue-to-claim latencies. */
    record Run(int idle, int tasks, double cpuMillisPerTask, double idleCpuMillisPerSecond, double[] claimMillis) {}

    /**
     * Measures with {@code counts[i]} idle agents for each i, {@code rounds} times in alternating order, queueing
     * {@code tasks} plans in each; the agents are registered with {@code server} and pinged before each run (the
     * runs are much shorter than the lease).
     */
    static List<Run> measure(IacServer server, ApiClient admin, Path pgData, int[] counts, int tasks, int rounds)
            throws Exception {
        int most = java.util.Arrays.stream(counts).max().orElseThrow();
        List<SimulatedAgent> agents = new ArrayList<>();
        for (int i = 0; i < most; i++) agents.add(SimulatedAgent.register(server, "idle-" + i));
        List<Run> runs = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < counts.length; k++) {
                    int idle = counts[r % 2 == 0 ? k : counts.length - 1 - k];
                    agents.forEach(SimulatedAgent::ping);
                    Run run = once(admin, agents.subList(0, idle), pgData, tasks, "idle-" + r + "-" + idle);
                    runs.add(run);
                    System.err.printf(
                            Locale.ROOT,
                            "claims: %d idle pullers: %.1f ms CPU per queued task (idle: %.0f ms CPU/s)%n",
                            idle,
                            run.cpuMillisPerTask(),
                            run.idleCpuMillisPerSecond());
                }
            }
        } finally {
            agents.forEach(SimulatedAgent::deregister);
        }
        return runs;
    }

    private static Run once(ApiClient admin, List<SimulatedAgent> agents, Path pgData, int tasks, String workspace)
            throws Exception {
        SynchronousQueue<String> claims = new SynchronousQueue<>();
        Map<String, Long> claimedAt = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pullers = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < agents.size(); i++) {
                SimulatedAgent agent = agents.get(i);
                // The first waits spread over the long poll, so that renewals come evenly, not all at one moment.
                int firstWait = 1 + i * (WAIT_SECONDS - 1) / agents.size();
                pullers.submit(() -> {
                    for (int wait = firstWait; !stop.get(); wait = WAIT_SECONDS) {
                        PullResponse r = agent.api.post(
                                ApiPaths.TASK_PULL,
                                new PullRequest(agent.agentId, 1, false, wait),
                                PullResponse.class,
                                Duration.ofSeconds(wait + 30));
                        for (TaskAssignment t : r.tasks()) {
                            claimedAt.put(t.taskId(), System.nanoTime());
                            agent.succeed(t, 0, null);
                            claims.put(t.taskId());
                        }
                    }
                    return null;
                });
            }
            // Every pull has looked once and waits, then the idle cost is taken over as long as the tasks will take.
            Thread.sleep(3_000);
            long idleStart = System.nanoTime();
            long idleCpu0 = cpuTicks(pgData);
            Thread.sleep(10_000);
            double idleMillisPerSecond =
                    (cpuTicks(pgData) - idleCpu0) * 1e3 / TICKS_PER_SECOND / ((System.nanoTime() - idleStart) / 1e9);

            double[] claimMillis = new double[tasks];
            long start = System.nanoTime();
            long cpu0 = cpuTicks(pgData);
            for (int i = 0; i < tasks; i++) {
                long queuedAt = System.nanoTime();
                String id = BenchTasks.queue(admin, workspace, TaskAction.PLAN).taskId();
                String done = claims.poll(60, TimeUnit.SECONDS);
                if (!id.equals(done)) throw new IllegalStateException("task " + id + " not claimed (got " + done + ")");
                claimMillis[i] = (claimedAt.get(id) - queuedAt) / 1e6;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuMillis = (cpuTicks(pgData) - cpu0) * 1e3 / TICKS_PER_SECOND;
            double perTask = (cpuMillis - idleMillisPerSecond * seconds) / tasks;
            return new Run(agents.size(), tasks, perTask, idleMillisPerSecond, claimMillis);
        } finally {
            // Each pull ends with its wait: none may outlive the run, to take the next run's tasks for an agent gone.
            stop.set(true);
            pullers.close();
        }
    }

    /** CPU used so far by this JVM and by PostgreSQL, backends that ended included (the postmaster reaped them). */
    private static long cpuTicks(Path pgData) throws IOException {
        long postmaster = Long.parseLong(
                Files.readAllLines(pgData.resolve("postmaster.pid")).getFirst().trim());
        long total = ticks(Path.of("/proc/self/stat"), true) + ticks(Path.of("/proc/" + postmaster + "/stat"), true);
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                String[] f = fields(p.resolve("stat"));
                if (f != null && Long.parseLong(f[1]) == postmaster) total += ticks(p.resolve("stat"), false);
            }
        }
        return total;
    }

    /** utime + stime, and with {@code children} the reaped children's too. */
    private static long ticks(Path stat, boolean children) {
        String[] f = fields(stat);
        if (f == null) return 0;
        long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return children ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
    }

    /** The fields of /proc/PID/stat after the command name (state first), or null for a process gone meanwhile. */
    private static String[] fields(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The section's table: per idle count, the median of its runs, and the ratio of the most to the fewest. */
    static String render(List<Run> runs) {
        Map<Integer, List<Run>> byIdle = new java.util.TreeMap<>();
        runs.forEach(
                r -> byIdle.computeIfAbsent(r.idle(), k -> new ArrayList<>()).add(r));
        StringBuilder s = new StringBuilder();
        s.append("\n### CPU per queued task with idle agents long-polling\n\n")
                .append("Plans queued one at a time while that many agents wait in long polls (")
                .append(WAIT_SECONDS)
                .append(" s), each claimed and reported by the agent the server gives it to before the next is queued."
                        + " CPU is the server JVM's (with the simulated agents' clients) plus PostgreSQL's, from"
                        + " /proc, less what an equally long window without tasks costs.\n\n")
                .append(
                        "| idle agents | runs × tasks | CPU per task (median run) | runs | idle CPU | median queue → claim"
                                + " | p99 queue → claim |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<Integer, Double> medians = new java.util.TreeMap<>();
        byIdle.forEach((idle, list) -> {
            Samples cpu =
                    Samples.of(list.stream().mapToDouble(Run::cpuMillisPerTask).toArray());
            Samples latency = Samples.of(list.stream()
                    .flatMapToDouble(r -> java.util.Arrays.stream(r.claimMillis()))
                    .toArray());
            medians.put(idle, cpu.median());
            s.append("| ")
                    .append(idle)
                    .append(" | ")
                    .append(list.size())
                    .append(" × ")
                    .append(list.getFirst().tasks())
                    .append(" | **")
                    .append(Samples.ms(cpu.median()))
                    .append("** | ")
                    .append(list.stream()
                            .map(r -> Samples.ms(r.cpuMillisPerTask()))
                            .toList())
                    .append(" | ")
                    .append(Samples.ms(list.stream()
                            .mapToDouble(Run::idleCpuMillisPerSecond)
                            .average()
                            .orElse(Double.NaN)))
                    .append("/s | ")
                    .append(Samples.ms(latency.median()))
                    .append(" | ")
                    .append(Samples.ms(latency.percentile(99)))
                    .append(" |\n");
        });
        int fewest = ((java.util.TreeMap<Integer, Double>) medians).firstKey();
        int most = ((java.util.TreeMap<Integer, Double>) medians).lastKey();
        s.append("\nCPU per task with ")
                .append(most)
                .append(" idle agents / with ")
                .append(fewest)
                .append(": **×")
                .append(Samples.ratio(medians.get(most), medians.get(fewest)))
                .append("** (the goal: ×1.5 or less: a queued task wakes the pulls it can use, not all of them).\n\n");
        return s.toString();
    }
}
