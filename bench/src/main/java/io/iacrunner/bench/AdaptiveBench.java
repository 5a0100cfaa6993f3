package io.iacrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.auth.CredentialFiles;
import io.iacrunner.server.settings.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fixed plan slots against adaptive ones: the same CPU-heavy plans on one real agent with the machine's real
 * Terraform, with 1, 2 and 8 fixed slots and with adaptive slots (capped at 8), one mode after the other in one run.
 * Makespan shows what a limit too low costs, the plans' own durations what a limit too high costs; adaptive should
 * have the first close to the best fixed setting and the second well below fixed 8's.
 */
public final class AdaptiveBench {
    static final String NAME = "adaptive";
    private static final int CAP = 8;
    private static final Duration POLL_EVERY = Duration.ofMillis(500);

    private AdaptiveBench() {}

    record Options(int plans, int burn, int rounds, Path terraform, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int plans = 60;
            int burn = 200;
            int rounds = 1;
            Path terraform = null;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--plans" -> plans = Integer.parseInt(args.get(++i));
                    case "--burn" -> burn = Integer.parseInt(args.get(++i));
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--terraform" -> terraform = Path.of(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (plans < 1 || burn < 1 || rounds < 1)
                throw new IllegalArgumentException("--plans, --burn and --rounds must be at least 1");
            return new Options(
                    plans, burn, rounds, terraform != null ? terraform : LogLatencyBench.findTerraform(), doc);
        }
    }

    enum Mode {
        FIXED_1("fixed 1", 1, false),
        FIXED_2("fixed 2", 2, false),
        FIXED_8("fixed 8", CAP, false),
        ADAPTIVE("adaptive (1 to 8)", CAP, true);

        final String label;
        final int maxPlans;
        final boolean adaptive;

        Mode(String label, int maxPlans, boolean adaptive) {
            this.label = label;
            this.maxPlans = maxPlans;
            this.adaptive = adaptive;
        }
    }

    /**
     * One mode's run: the makespan (first task created to last task finished, server times), each plan's duration
     * (started to finished) in ms, and the agent's plan slots as its pings reported them, sampled over the run.
     */
    record Run(
            Mode mode,
            double makespanSeconds,
            Samples planMillis,
            Samples slots,
            int failed,
            double machineCpuWaiting,
            String commonReason) {}

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        System.err.printf(
                "adaptive: %d plans per mode, burn %d, %d round(s), terraform %s%n",
                o.plans(), o.burn(), o.rounds(), o.terraform());
        Path data = BenchEnv.tempDir(NAME);
        Map<Mode, List<Run>> runs = new EnumMap<>(Mode.class);
        try (IacServer server =
                IacServer.start(ServerConfig.builder().port(0).dataDir(data).build())) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            admin.put(
                    ApiPaths.fill(ApiPaths.POOL, CredentialFiles.DEFAULT_POOL),
                    new PoolConfig(CredentialFiles.DEFAULT_POOL, CAP, false, Map.of()),
                    PoolConfig.class);
            int created = 0;
            // Uncounted: warms up Terraform's files in the page cache and the JIT of server and agent.
            created += measure(server, admin, data, o, Mode.FIXED_2, Math.min(4, o.plans()), created, true)
                    .planMillis()
                    .count();
            System.err.println("adaptive: warmed up");
            for (int r = 0; r < o.rounds(); r++) {
                for (int k = 0; k < Mode.values().length; k++) {
                    // Rotating which mode goes first, so none always runs on a fresher (or busier) machine.
                    Mode mode = Mode.values()[(r + k) % Mode.values().length];
                    Run run = measure(server, admin, data, o, mode, o.plans(), created, false);
                    created += o.plans();
                    runs.computeIfAbsent(mode, m -> new ArrayList<>()).add(run);
                    System.err.printf(
                            Locale.ROOT,
                            "adaptive: round %d %-18s makespan %.1f s | plan median %s p99 %s | slots mean %.2f"
                                    + " | failed %d | load %s%n",
                            r + 1,
                            mode.label,
                            run.makespanSeconds(),
                            Samples.ms(run.planMillis().median()),
                            Samples.ms(run.planMillis().percentile(99)),
                            run.slots().mean(),
                            run.failed(),
                            BenchEnv.loadAverage());
                }
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(o.doc(), NAME, render(runs, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    /**
     * A plan that keeps Terraform busy for a few seconds on its own: a {@code local-exec} would run only at apply, so
     * the CPU is burnt by Terraform evaluating {@code burn × 1000} SHA-512 hashes in a local value while it plans.
     */
    static ObjectNode burningConfig(int burn, String salt) {
        ObjectNode root = WireJson.lenient().createObjectNode();
        root.putObject("locals")
                .put(
                        "burn",
                        "${length(flatten([for a in range(" + burn + ") : [for b in range(1000) : sha512(\"" + salt
                                + "-${a}-${b}\")]]))}");
        root.putObject("output").putObject("hashes").put("value", "${local.burn}");
        return root;
    }

    private static Run measure(
            IacServer server, ApiClient admin, Path data, Options o, Mode mode, int plans, int before, boolean warmUp)
            throws Exception {
        AgentConfig config = AgentConfig.builder(server.baseUrl(), server.agentTokenFile())
                .name("bench-" + mode.name().toLowerCase(Locale.ROOT))
                .workDir(Files.createDirectories(data.resolve("agent-" + before)))
                .terraform(o.terraform())
                .localPlanLimit(mode.maxPlans)
                .adaptive(mode.adaptive)
                .pullWait(Duration.ofSeconds(5))
                .build();
        Agent agent = new Agent(config);
        List<String> ids = new ArrayList<>();
        List<Double> slots = new ArrayList<>();
        Map<String, Integer> reasons = new TreeMap<>();
        long pressureBefore = cpuPressureMicros();
        long wallBefore = System.nanoTime();
        try {
            agent.start();
            for (int i = 0; i < plans; i++) {
                String workspace = "bench-adaptive-" + (before + i);
                ids.add(admin.post(
                                ApiPaths.TASKS,
                                new CreateTaskRequest(
                                        workspace,
                                        TaskAction.PLAN,
                                        burningConfig(o.burn(), workspace),
                                        null,
                                        null,
                                        null,
                                        null,
                                        null),
                                TaskView.class)
                        .taskId());
            }
            Map<String, TaskView> done = new TreeMap<>();
            Instant deadline = Instant.now().plus(Duration.ofMinutes(30));
            while (done.size() < ids.size()) {
                for (String id : ids) {
                    if (done.containsKey(id)) continue;
                    TaskView t = admin.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
                    if (t.status().isTerminal()) done.put(id, t);
                }
                for (AgentView a : admin.get(ApiPaths.AGENTS, AgentList.class).agents()) {
                    if (a.agentId().equals(agent.agentId()) && a.planSlots() != null) {
                        slots.add((double) a.planSlots());
                        if (a.slotsReason() != null) reasons.merge(reasonKind(a.slotsReason()), 1, Integer::sum);
                    }
                }
                if (Instant.now().isAfter(deadline))
                    throw new IllegalStateException(mode.label + ": plans still running after 30 minutes");
                Thread.sleep(POLL_EVERY);
            }
            Instant first = done.values().stream()
                    .map(TaskView::createdAt)
                    .min(Instant::compareTo)
                    .orElseThrow();
            Instant last = done.values().stream()
                    .map(TaskView::finishedAt)
                    .max(Instant::compareTo)
                    .orElseThrow();
            double[] durations = done.values().stream()
                    .filter(t -> t.startedAt() != null)
                    .mapToDouble(
                            t -> Duration.between(t.startedAt(), t.finishedAt()).toNanos() / 1e6)
                    .toArray();
            int failed = (int) done.values().stream()
                    .filter(t -> t.status() != TaskStatus.SUCCEEDED)
                    .count();
            if (failed > 0 && !warmUp) {
                TaskView bad = done.values().stream()
                        .filter(t -> t.status() != TaskStatus.SUCCEEDED)
                        .findFirst()
                        .orElseThrow();
                System.err.println("adaptive: " + mode.label + ": " + failed + " plans did not succeed, e.g. "
                        + bad.taskId() + " " + bad.status().wireName() + ": " + bad.message());
            }
            long pressureAfter = cpuPressureMicros();
            double waiting = pressureBefore < 0 || pressureAfter < 0
                    ? Double.NaN
                    : (pressureAfter - pressureBefore) / ((System.nanoTime() - wallBefore) / 1000.0);
            String common = reasons.entrySet().stream()
                    .max(Map.Entry.comparingByValue())
                    .map(e -> e.getKey() + " (" + Math.round(100.0 * e.getValue() / slots.size()) + " % of readings)")
                    .orElse("–");
            return new Run(
                    mode,
                    Duration.between(first, last).toMillis() / 1000.0,
                    Samples.of(durations),
                    Samples.of(slots.stream().mapToDouble(Double::doubleValue).toArray()),
                    failed,
                    waiting,
                    common);
        } finally {
            agent.close();
            agent.awaitTermination();
        }
    }

    /** The machine's cumulative CPU pressure ("some" total, µs) from /proc/pressure/cpu; -1 without PSI. */
    private static long cpuPressureMicros() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/pressure/cpu"))) {
                if (!line.startsWith("some ")) continue;
                for (String field : line.split("\\s+")) {
                    if (field.startsWith("total=")) return Long.parseLong(field.substring(6));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // No PSI: the column says n/a.
        }
        return -1;
    }

    /** A slots reason without its figure ("cpu waiting 87 %" is "cpu waiting"), to count which kind prevailed. */
    private static String reasonKind(String reason) {
        return reason.replaceAll("\\s*[0-9.]+\\s*(%|GiB)", "").trim();
    }

    private static String render(Map<Mode, List<Run>> runs, Options o, Duration took, String loadAtStart) {
        StringBuilder s = new StringBuilder();
        s.append("## adaptive: fixed plan slots against slots adapted to the load\n\n");
        s.append("Command: `bench/run adaptive`. One real agent (in the bench's process) runs the same ")
                .append(o.plans())
                .append(" plans with the machine's real Terraform against an embedded server on loopback, once per")
                .append(" mode, the modes one after the other (")
                .append(o.rounds())
                .append(" round(s), rotating which goes first), after an uncounted warm-up. The pool allows ")
                .append(CAP)
                .append(" plans at once; the agent runs with `--max-plans 1`, `2` or `8` and `--adaptive false`, or")
                .append(" with `--max-plans 8` and adaptive slots (from 1, additive increase, halved under CPU or")
                .append(" memory pressure). Each plan burns CPU in Terraform itself for a few seconds: a local value")
                .append(" of ")
                .append(o.burn())
                .append(" × 1,000 SHA-512 hashes (`local-exec` runs only at apply, so a plan cannot burn CPU with")
                .append(" one; Terraform's evaluation uses a bit more than one core). Makespan: from the first task's")
                .append(" creation to the last one's end; plan duration: from its claim to its end; slots: the")
                .append(" agent's `plan_slots` as `GET /api/v1/agents` listed them every ")
                .append(POLL_EVERY.toMillis())
                .append(" ms during the run. The machine's CPU pressure: the share of the run's time during which some")
                .append(
                        " task on the machine (the bench's or any other) waited for a CPU (`/proc/pressure/cpu`, \"some\"),")
                .append(" what the adaptive agent reads when it has no cgroup of its own.\n\n");
        s.append("| mode | plans | failed | makespan | vs best fixed | plan duration: median | p99 | max"
                        + " | slots: mean | min | max | machine's CPU pressure | the slots' reason, mostly |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        double bestFixed = Double.MAX_VALUE;
        for (Mode m : Mode.values()) {
            if (!m.adaptive) bestFixed = Math.min(bestFixed, makespan(runs.get(m)));
        }
        for (Mode m : Mode.values()) {
            List<Run> list = runs.get(m);
            Samples plans = merged(list.stream().map(Run::planMillis).toList());
            Samples slots = merged(list.stream().map(Run::slots).toList());
            double makespan = makespan(list);
            s.append("| ")
                    .append(m.label)
                    .append(" | ")
                    .append(plans.count())
                    .append(" | ")
                    .append(list.stream().mapToInt(Run::failed).sum())
                    .append(" | **")
                    .append(String.format(Locale.ROOT, "%.1f s", makespan))
                    .append("** | ")
                    .append(String.format(Locale.ROOT, "%+.0f %%", (makespan / bestFixed - 1) * 100))
                    .append(" | ")
                    .append(seconds(plans.median()))
                    .append(" | **")
                    .append(seconds(plans.percentile(99)))
                    .append("** | ")
                    .append(seconds(plans.max()))
                    .append(" | ")
                    .append(slots.count() == 0 ? "–" : String.format(Locale.ROOT, "%.2f", slots.mean()))
                    .append(" | ")
                    .append(slots.count() == 0 ? "–" : String.format(Locale.ROOT, "%.0f", slots.min()))
                    .append(" | ")
                    .append(slots.count() == 0 ? "–" : String.format(Locale.ROOT, "%.0f", slots.max()))
                    .append(" | ")
                    .append(String.format(
                            Locale.ROOT,
                            "%.0f %%",
                            100
                                    * list.stream()
                                            .mapToDouble(Run::machineCpuWaiting)
                                            .average()
                                            .orElse(Double.NaN)))
                    .append(" | ")
                    .append(m.adaptive ? list.getFirst().commonReason() : "–")
                    .append(" |\n");
        }
        double adaptive = makespan(runs.get(Mode.ADAPTIVE));
        double p99Adaptive = merged(
                        runs.get(Mode.ADAPTIVE).stream().map(Run::planMillis).toList())
                .percentile(99);
        double p99Fixed8 = merged(
                        runs.get(Mode.FIXED_8).stream().map(Run::planMillis).toList())
                .percentile(99);
        s.append("\nAcceptance (issue 19): adaptive's makespan within 10 % of the best fixed setting: ")
                .append(adaptive <= bestFixed * 1.10 ? "**met**" : "**not met**")
                .append(String.format(Locale.ROOT, " (%.1f s against %.1f s)", adaptive, bestFixed))
                .append("; its p99 plan duration well below fixed 8's: ")
                .append(p99Adaptive <= p99Fixed8 * 0.75 ? "**met**" : "**not met**")
                .append(" (")
                .append(seconds(p99Adaptive))
                .append(" against ")
                .append(seconds(p99Fixed8))
                .append("; \"well below\" read as at most three quarters).\n\n");
        s.append("What sets these figures: with more plans than the CPUs can run, each plan takes longer (fixed 8's")
                .append(" plan durations) without the whole finishing sooner; with fewer, CPUs idle (fixed 1's")
                .append(" makespan). The adaptive agent reads its load every 2 s (cgroup v2 files where the agent has")
                .append(" them, else `/proc/stat`, `/proc/pressure/cpu` and `/proc/meminfo`: on this machine the")
                .append(" latter, the whole machine's) and grows its slots while no task waits for a CPU more than")
                .append(" 30 % of the time, halving them when two readings in a row show 85 % or more (one plan per")
                .append(" CPU already keeps some task waiting about two thirds of the time). Other work on the machine")
                .append(" counts as pressure too,")
                .append(" which is the point: the agent takes what the machine can give.\n\n");
        s.append(BenchEnv.runFooter(took, "Server, embedded PostgreSQL, agent and Terraform", loadAtStart));
        return s.toString();
    }

    private static double makespan(List<Run> list) {
        return list.stream().mapToDouble(Run::makespanSeconds).average().orElse(Double.NaN);
    }

    private static String seconds(double millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000);
    }

    private static Samples merged(List<Samples> parts) {
        return Samples.of(parts.stream()
                .flatMapToDouble(p -> java.util.Arrays.stream(p.sorted()))
                .toArray());
    }
}
