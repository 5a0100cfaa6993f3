package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.count;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Claim throughput: simulated agents pulling queued plans through the server's API, against a bare {@code UPDATE …
 * WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING} loop with as many connections on the same durable
 * PostgreSQL: the most claims per second the database itself gives, with none of the server's rules.
 */
final class ClaimsBench {
    static final String NAME = "claims";
    private static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    private static final String POOL = "default-pool";
    private static final int WARM_UP_TASKS = 1_000;
    /** The idle long-polling agents each queued task meets in {@link IdlePullersCost}. */
    private static final int[] IDLE_PULLERS = {20, 200};

    private static final int IDLE_TASKS = 100;

    private ClaimsBench() {}

    record Options(int tasks, int pullers, int rounds, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int tasks = 5_000;
            int pullers = 50;
            int rounds = 2;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--tasks" -> tasks = Integer.parseInt(args.get(++i));
                    case "--pullers" -> pullers = Integer.parseInt(args.get(++i));
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (tasks < 1 || pullers < 1 || pullers > 150 || rounds < 1)
                throw new IllegalArgumentException("--tasks, --rounds >= 1; --pullers 1..150");
            return new Options(tasks, pullers, rounds, doc);
        }
    }

    enum Mode {
        SERVER(
                "server, pulls through the API",
                "each simulated agent loops `POST /api/v1/tasks/pull` for one plan (no"
                        + " long poll), with every rule of the claim: the agent's slots, the pool's limits, labels, workspace"
                        + " locks, the lease, the job token minted for the attempt"),
        RAW(
                "raw SKIP LOCKED loop",
                "each of as many JDBC connections loops `update bench_queue set status ="
                        + " 'running' … where id = (select id … where status = 'queued' order by id for update skip locked"
                        + " limit 1) returning id` (autocommit), on a table of the same number of rows with a partial index"
                        + " on the queued ones");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** One timed pass: claims, elapsed time and each successful claim's latency. */
    record Round(int claims, long nanos, double[] claimMillis) {
        double perSecond() {
            return claims * 1e9 / nanos;
        }
    }

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        Path data = BenchEnv.tempDir(NAME);
        Map<Mode, List<Round>> rounds = new EnumMap<>(Mode.class);
        List<IdlePullersCost.Run> idle;
        List<BlockedAppliesCost.Run> blocked;
        try (EmbeddedPostgres pg = BenchEnv.durablePostgres(data.resolve("pg"), true);
                IacServer server = IacServer.start(ServerConfig.builder()
                        .port(0)
                        .dataDir(data)
                        .database(BenchEnv.jdbcUrl(pg), "postgres", null)
                        .databasePoolSize(o.pullers() + 10)
                        .pingInterval(PING_INTERVAL)
                        .credentialRequestsPerMinute(100_000)
                        .build())) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            // Room for every agent to hold its share of the queue: slots are not what is measured.
            admin.put(
                    ApiPaths.fill(ApiPaths.POOL, POOL), new PoolConfig(POOL, 1_000, false, Map.of()), PoolConfig.class);
            List<SimulatedAgent> agents = new ArrayList<>();
            for (int i = 0; i < o.pullers(); i++) agents.add(SimulatedAgent.register(server, "claims-" + i));
            AutoCloseable pinging = SimulatedAgent.pingInBackground(agents, PING_INTERVAL);
            try {
                // Untimed: the server's code is compiled before it is measured, as it is in a server that has run.
                throughServer(admin, agents, Math.min(o.tasks(), WARM_UP_TASKS), -1);
                for (int r = 0; r < o.rounds(); r++) {
                    for (Mode mode : r % 2 == 0 ? List.of(Mode.SERVER, Mode.RAW) : List.of(Mode.RAW, Mode.SERVER)) {
                        Round round = mode == Mode.SERVER
                                ? throughServer(admin, agents, o.tasks(), r)
                                : raw(BenchEnv.jdbcUrl(pg), o.tasks(), o.pullers());
                        rounds.computeIfAbsent(mode, m -> new ArrayList<>()).add(round);
                        System.err.printf(
                                "claims: round %d %-32s %,8.0f claims/s%n", r + 1, mode.label, round.perSecond());
                    }
                }
            } finally {
                pinging.close();
                agents.forEach(SimulatedAgent::deregister);
            }
            idle = IdlePullersCost.measure(server, admin, data.resolve("pg"), IDLE_PULLERS, IDLE_TASKS, o.rounds());
            // Last: the applies it leaves blocked would stand in the queue of every measurement after it.
            blocked = BlockedAppliesCost.measure(server, admin);
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(
                o.doc(), NAME, render(rounds, idle, blocked, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    /** Queues {@code tasks} plans (untimed, 8 at a time), then times the agents pulling them all. */
    private static Round throughServer(ApiClient admin, List<SimulatedAgent> agents, int tasks, int round)
            throws Exception {
        Set<String> queued = ConcurrentHashMap.newKeySet();
        try (ExecutorService creators = Executors.newFixedThreadPool(8)) {
            List<Future<?>> made = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                made.add(creators.submit(() -> queued.add(BenchTasks.queue(admin, "claims-" + round, TaskAction.PLAN)
                        .taskId())));
            }
            for (Future<?> f : made) f.get();
        }
        AtomicInteger claimed = new AtomicInteger();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger twice = new AtomicInteger();
        List<Runnable> finishes = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService pullers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (SimulatedAgent agent : agents) {
                pullers.submit(() -> {
                    while (claimed.get() < tasks) {
                        long p0 = System.nanoTime();
                        PullResponse r = agent.pull(new PullRequest(agent.agentId, 1, true, 0));
                        if (r.tasks().isEmpty()) continue;
                        latencies.add((System.nanoTime() - p0) / 1e6);
                        for (TaskAssignment t : r.tasks()) {
                            if (!seen.add(t.taskId())) twice.incrementAndGet();
                            claimed.incrementAndGet();
                            finishes.add(() -> agent.succeed(t, 0, null));
                        }
                    }
                    return null;
                });
            }
        }
        long took = System.nanoTime() - t0;
        if (twice.get() > 0 || !seen.equals(queued))
            throw new IllegalStateException("claimed twice: " + twice.get() + "; claimed " + seen.size() + " of "
                    + queued.size() + (seen.containsAll(queued) ? "" : ", some never"));
        // Finished, untimed, so the next round's agents start with free slots and the store holds finished rows.
        try (ExecutorService reporters = Executors.newFixedThreadPool(16)) {
            finishes.forEach(reporters::submit);
        }
        return new Round(
                claimed.get(),
                took,
                latencies.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The database's own ceiling: a claim per statement on {@code connections} connections. */
    private static Round raw(String url, int rows, int connections) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("drop table if exists bench_queue");
            s.execute("create table bench_queue (id bigserial primary key, status text not null, claimed_by text)");
            s.execute("create index bench_queue_queued on bench_queue (id) where status = 'queued'");
            s.execute("insert into bench_queue (status) select 'queued' from generate_series(1, " + rows + ")");
            s.execute("analyze bench_queue");
        }
        AtomicInteger claimed = new AtomicInteger();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Connection> open = new ArrayList<>();
        for (int i = 0; i < connections; i++) open.add(DriverManager.getConnection(url, "postgres", null));
        long t0 = System.nanoTime();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < connections; i++) {
                Connection c = open.get(i);
                String who = "w" + i;
                workers.submit(() -> {
                    try (PreparedStatement claim = c.prepareStatement("""
                            update bench_queue set status = 'running', claimed_by = ?
                            where id = (select id from bench_queue where status = 'queued' order by id
                                        for update skip locked limit 1)
                            returning id""")) {
                        claim.setString(1, who);
                        while (true) {
                            long p0 = System.nanoTime();
                            try (ResultSet rs = claim.executeQuery()) {
                                if (!rs.next()) return null;
                                if (!seen.add(rs.getLong(1))) throw new IllegalStateException("raw claimed twice");
                            }
                            latencies.add((System.nanoTime() - p0) / 1e6);
                            claimed.incrementAndGet();
                        }
                    }
                });
            }
        }
        long took = System.nanoTime() - t0;
        for (Connection c : open) c.close();
        if (seen.size() != rows) throw new IllegalStateException("raw claimed " + seen.size() + " of " + rows);
        return new Round(
                claimed.get(),
                took,
                latencies.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static String render(
            Map<Mode, List<Round>> rounds,
            List<IdlePullersCost.Run> idle,
            List<BlockedAppliesCost.Run> blocked,
            Options o,
            Duration took,
            String loadAtStart) {
        Map<Mode, Samples> rates = new EnumMap<>(Mode.class);
        Map<Mode, Samples> latency = new EnumMap<>(Mode.class);
        rounds.forEach((m, list) -> {
            rates.put(m, Samples.of(list.stream().mapToDouble(Round::perSecond).toArray()));
            latency.put(
                    m,
                    Samples.of(list.stream()
                            .flatMapToDouble(r -> java.util.Arrays.stream(r.claimMillis()))
                            .toArray()));
        });
        StringBuilder s = new StringBuilder();
        s.append("## claims: queued plans claimed through the server vs a raw SKIP LOCKED loop\n\n");
        s.append("Command: `bench/run claims`. ")
                .append(count(o.tasks()))
                .append(" plans queued (untimed), then claimed by ")
                .append(o.pullers())
                .append(" pullers as fast as they can, each mode ")
                .append(o.rounds())
                .append(
                        " times, alternating which goes first, on one durable PostgreSQL (the server's settings), after")
                .append(" an untimed warm-up of the server mode (")
                .append(count(Math.min(o.tasks(), WARM_UP_TASKS)))
                .append(" claims). The simulated agents ping every ")
                .append(PING_INTERVAL.toSeconds())
                .append(" s listing the tasks they hold, as real agents do:\n\n");
        for (Mode m : Mode.values())
            s.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        s.append("\n| mode | rounds | median claims/s | slowest – fastest round | median claim | p99 claim |\n")
                .append("|---|---:|---:|---:|---:|---:|\n");
        for (Mode m : Mode.values()) {
            s.append(Samples.rateRow(m.label, rates.get(m), latency.get(m))).append(" |\n");
        }
        s.append("\nServer / raw loop (median claims/s): **")
                .append(String.format(
                        java.util.Locale.ROOT,
                        "%.0f %%",
                        100
                                * rates.get(Mode.SERVER).median()
                                / rates.get(Mode.RAW).median()))
                .append("** (the goal: 50 % or more, with a median claim under 10 ms). Every task was claimed exactly"
                        + " once in every round (checked, untimed).\n");
        s.append(IdlePullersCost.render(idle));
        s.append(BlockedAppliesCost.render(blocked));
        s.append(BenchEnv.runFooter(took, "Server, PostgreSQL and the pullers", loadAtStart));
        return s.toString();
    }
}
