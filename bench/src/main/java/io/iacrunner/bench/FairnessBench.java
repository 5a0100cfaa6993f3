package io.iacrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fair scheduling between organisations against plain FIFO, in one run against one embedded server: organisation A
 * queues a backlog of plans, then organisation B queues plans one per second, on one pool of 10 plan slots (10
 * simulated agents of one slot each, each plan held for {@code --plan-ms}). Reported per mode: B's queue-to-start
 * median and p99, and the claim throughput while the pool drains a queue of both organisations as fast as it can.
 */
public final class FairnessBench {
    static final String NAME = "fairness";
    private static final int SLOTS = 10;
    private static final int THROUGHPUT_ROUNDS = 3;
    private static final Duration PING_INTERVAL = Duration.ofSeconds(5);

    private FairnessBench() {}

    record Options(int backlog, int bTasks, int planMillis, int drainTasks, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int backlog = 2000;
            int bTasks = 20;
            int planMillis = 200;
            int drain = 1000;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--backlog" -> backlog = Integer.parseInt(args.get(++i));
                    case "--b-tasks" -> bTasks = Integer.parseInt(args.get(++i));
                    case "--plan-ms" -> planMillis = Integer.parseInt(args.get(++i));
                    case "--drain-tasks" -> drain = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (backlog < 1 || bTasks < 1 || planMillis < 0 || drain < 1)
                throw new IllegalArgumentException("--backlog, --b-tasks, --drain-tasks >= 1; --plan-ms >= 0");
            return new Options(backlog, bTasks, planMillis, drain, doc);
        }
    }

    record Result(String mode, Samples bWaitMillis, double claimsPerSecond, List<Double> rounds) {}

    static void run(Options options) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        Path data = BenchEnv.tempDir(NAME);
        List<Result> results = new ArrayList<>();
        try (IacServer server = IacServer.start(ServerConfig.builder()
                .port(0)
                .dataDir(data)
                .pingInterval(PING_INTERVAL)
                .build())) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            // Throughput first, in alternating rounds (fair, FIFO, fair, ...), the median of each: a machine shared
            // with
            // other work changes its load over minutes, and alternating spreads that over both modes alike. Before the
            // latency phases, whose leftover backlog would lengthen FIFO's scan of the queue.
            Map<String, List<Double>> rounds = new java.util.LinkedHashMap<>();
            for (int round = 0; round < THROUGHPUT_ROUNDS; round++) {
                for (boolean fair : new boolean[] {true, false}) {
                    server.fairScheduling(fair);
                    String mode = fair ? "fair" : "fifo";
                    double claims = throughput(server, admin, mode + "-" + round, options);
                    System.err.printf("fairness: %-4s round %d: %6.1f claims/s%n", mode, round + 1, claims);
                    rounds.computeIfAbsent(mode, k -> new ArrayList<>()).add(claims);
                }
            }
            Map<String, Samples> waits = new java.util.LinkedHashMap<>();
            for (boolean fair : new boolean[] {true, false}) {
                server.fairScheduling(fair);
                String mode = fair ? "fair" : "fifo";
                waits.put(mode, latency(server, admin, mode, options));
            }
            for (String mode : waits.keySet()) {
                Samples w = waits.get(mode);
                double claims = Samples.of(rounds.get(mode).stream()
                                .mapToDouble(Double::doubleValue)
                                .toArray())
                        .median();
                System.err.printf(
                        "fairness: %-4s B queue-to-start median %8.1f ms  p99 %8.1f ms; median %6.1f claims/s%n",
                        mode, w.median(), w.percentile(99), claims);
                results.add(new Result(mode, w, claims, rounds.get(mode)));
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(
                options.doc(), NAME, render(results, options, Duration.between(started, Instant.now()), loadAtStart));
    }

    /** Organisations A and B of this phase, sharing a pool of {@link #SLOTS} agents of one plan slot each. */
    private static List<SimulatedAgent> setUp(IacServer server, ApiClient admin, String phase) throws Exception {
        String pool = "pool-" + phase;
        admin.put(ApiPaths.fill(ApiPaths.POOL, pool), new PoolConfig(pool, 1, false, Map.of()), PoolConfig.class);
        for (String org : List.of("a-" + phase, "b-" + phase)) {
            admin.post(ApiPaths.ORGS, new OrgSettings(org, null, null, null), OrgView.class);
            admin.post(ApiPaths.fill(ApiPaths.POOL_SHARES, pool), Map.of("name", org), Object.class);
        }
        String token = admin.post(ApiPaths.fill(ApiPaths.POOL_TOKENS, pool), Map.of(), PoolToken.class)
                .token();
        List<SimulatedAgent> agents = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) agents.add(SimulatedAgent.register(server, phase + "-" + i, token));
        return agents;
    }

    private static TaskView queue(ApiClient admin, String org, String workspace) {
        ObjectNode tf = WireJson.lenient().createObjectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", "bench");
        return admin.post(
                ApiPaths.TASKS + "?org=" + org,
                new CreateTaskRequest(workspace, TaskAction.PLAN, tf, null, null, null, null, null),
                TaskView.class);
    }

    private static void queueMany(ApiClient admin, String org, int count) throws Exception {
        try (var pool = Executors.newFixedThreadPool(8)) {
            List<Future<TaskView>> queued = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                queued.add(pool.submit(() -> queue(admin, org, "ws-" + n % 10)));
            }
            for (var q : queued) q.get();
        }
    }

    /** Agents that pull one plan at a time and hold each for {@code holdMillis}; returns when stopped. */
    private static List<Thread> work(
            List<SimulatedAgent> agents,
            int holdMillis,
            AtomicBoolean stop,
            Map<String, Long> startedAt,
            AtomicInteger claims) {
        List<Thread> threads = new ArrayList<>();
        for (SimulatedAgent agent : agents) {
            threads.add(Thread.ofPlatform().name("agent-" + agent.name).start(() -> {
                while (!stop.get()) {
                    PullResponse reply = agent.pull(1);
                    long now = System.nanoTime();
                    for (TaskAssignment t : reply.tasks()) {
                        startedAt.putIfAbsent(t.taskId(), now);
                        claims.incrementAndGet();
                    }
                    for (TaskAssignment t : reply.tasks()) {
                        if (holdMillis > 0) {
                            try {
                                Thread.sleep(holdMillis);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                        agent.succeed(t, 0, null);
                    }
                }
            }));
        }
        return threads;
    }

    /** B's queue-to-start while the pool works through A's backlog. */
    private static Samples latency(IacServer server, ApiClient admin, String mode, Options o) throws Exception {
        String phase = mode + "-latency";
        List<SimulatedAgent> agents = setUp(server, admin, phase);
        queueMany(admin, "a-" + phase, o.backlog());
        Map<String, Long> startedAt = new ConcurrentHashMap<>();
        Map<String, Long> queuedAt = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AutoCloseable pinger = SimulatedAgent.pingInBackground(agents, PING_INTERVAL);
        List<Thread> threads = work(agents, o.planMillis(), stop, startedAt, new AtomicInteger());
        try {
            Thread.sleep(1000); // the pool is busy with A's backlog
            for (int i = 0; i < o.bTasks(); i++) {
                TaskView t = queue(admin, "b-" + phase, "b-ws");
                queuedAt.put(t.taskId(), System.nanoTime());
                Thread.sleep(1000);
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (!startedAt.keySet().containsAll(queuedAt.keySet()) && System.nanoTime() < deadline) Thread.sleep(50);
        } finally {
            stop.set(true);
            for (Thread t : threads) t.join(Duration.ofSeconds(30));
            pinger.close();
            agents.forEach(SimulatedAgent::deregister);
        }
        return Samples.of(queuedAt.entrySet().stream()
                .mapToDouble(e -> (startedAt.getOrDefault(e.getKey(), Long.MAX_VALUE) - e.getValue()) / 1e6)
                .toArray());
    }

    /** Claims per second while the pool drains a queue of both organisations, each plan done as soon as claimed. */
    private static double throughput(IacServer server, ApiClient admin, String mode, Options o) throws Exception {
        String phase = mode + "-drain";
        List<SimulatedAgent> agents = setUp(server, admin, phase);
        queueMany(admin, "a-" + phase, o.drainTasks() / 2);
        queueMany(admin, "b-" + phase, o.drainTasks() - o.drainTasks() / 2);
        AtomicInteger claims = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AutoCloseable pinger = SimulatedAgent.pingInBackground(agents, PING_INTERVAL);
        long began = System.nanoTime();
        List<Thread> threads = work(agents, 0, stop, new ConcurrentHashMap<>(), claims);
        long deadline = began + Duration.ofMinutes(10).toNanos();
        while (claims.get() < o.drainTasks() && System.nanoTime() < deadline) Thread.sleep(10);
        double seconds = (System.nanoTime() - began) / 1e9;
        stop.set(true);
        for (Thread t : threads) t.join(Duration.ofSeconds(30));
        pinger.close();
        agents.forEach(SimulatedAgent::deregister);
        return claims.get() / seconds;
    }

    private static String roundsText(Result r) {
        return String.join(
                ", ",
                r.rounds().stream()
                        .map(v -> String.format(java.util.Locale.ROOT, "%.1f", v))
                        .toList());
    }

    private static String render(List<Result> results, Options o, Duration took, String loadAtStart) {
        Result fair = results.get(0);
        Result fifo = results.get(1);
        StringBuilder s = new StringBuilder();
        s.append("## fairness: a small tenant beside a big backlog, fair scheduling vs FIFO\n\n");
        s.append("Command: `bench/run fairness`. One embedded server (loopback), one pool of ")
                .append(SLOTS)
                .append(" plan slots (")
                .append(SLOTS)
                .append(" simulated agents of one slot). Latency: organisation A queues ")
                .append(o.backlog())
                .append(" plans, then B queues ")
                .append(o.bTasks())
                .append(" plans one per second; each plan is held ")
                .append(o.planMillis())
                .append(" ms. B's queue-to-start is from its create call returning to the pull that returned it.")
                .append(" Throughput: the pool drains ")
                .append(o.drainTasks())
                .append(" plans of A and B, each reported done as soon as claimed (claims per second of wall time,")
                .append(" pull and result calls included), in ")
                .append(THROUGHPUT_ROUNDS)
                .append(" rounds per mode alternating fair and FIFO; the median round is shown.\n\n");
        s.append("| mode | B median | B p99 | B max | claims/s |\n|---|---:|---:|---:|---:|\n");
        for (Result r : results) {
            s.append("| ")
                    .append(r.mode())
                    .append(" | ")
                    .append(Samples.ms(r.bWaitMillis().median()))
                    .append(" | ")
                    .append(Samples.ms(r.bWaitMillis().percentile(99)))
                    .append(" | ")
                    .append(Samples.ms(r.bWaitMillis().max()))
                    .append(" | ")
                    .append(String.format(java.util.Locale.ROOT, "%.1f", r.claimsPerSecond()))
                    .append(" |\n");
        }
        s.append("\nFair scheduling's claim throughput is ")
                .append(String.format(
                        java.util.Locale.ROOT, "%.0f %%", 100 * fair.claimsPerSecond() / fifo.claimsPerSecond()))
                .append(" of FIFO's (target: at least 80 %). Every round, claims/s: fair ")
                .append(roundsText(fair))
                .append("; FIFO ")
                .append(roundsText(fifo))
                .append(". On a shared machine the rounds of one mode spread wider than the modes differ.\n\n");
        s.append(BenchEnv.runFooter(took, "The server, its embedded PostgreSQL and the simulated agents", loadAtStart));
        return s.toString();
    }
}
