package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.count;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hours of a busy installation in minutes: two replicas on the machine's PostgreSQL with Redis, 200 simulated agents
 * and 3 real agents (real Terraform) behind a proxy, a steady mix of plans, plan_applies, cancels and viewers, and a
 * chaos schedule that kills agents, a replica and Redis and cuts the agents' connections. The invariants are checked
 * while it runs and once more after the drain; any breach fails the run with the task ids.
 */
final class SoakBench {
    static final String NAME = "soak";
    static final int SIMULATED_AGENTS = 200;
    static final int REAL_AGENTS = 3;
    private static final Duration CHECK_EVERY = Duration.ofSeconds(10);
    private static final Duration DRAIN = Duration.ofMinutes(3);
    /** The lease monitor's period and a loaded machine's delays, on top of what the server may take. */
    private static final Duration STUCK_SLACK = Duration.ofSeconds(30);

    private static final double HEAP_GROWTH_LIMIT = 0.10;

    private SoakBench() {}

    record Options(int minutes, double rate, long seed, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int minutes = 10;
            double rate = 1.0;
            long seed = 20;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--minutes" -> minutes = Integer.parseInt(args.get(++i));
                    case "--rate" -> rate = Double.parseDouble(args.get(++i));
                    case "--seed" -> seed = Long.parseLong(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (minutes < 2 || rate <= 0) throw new IllegalArgumentException("--minutes >= 2; --rate > 0");
            return new Options(minutes, rate, seed, doc);
        }
    }

    record Seen(SoakInvariants.Claim claim, long atMillis) {}

    record PendingViewer(SoakViewer viewer, int attempt, long recorded) {}

    /** What happened in one minute of the run. */
    record Minute(int claims, long lines, List<String> faults) {}

    /** Offending task ids by invariant, in the order of the report's table. */
    record Breaches(
            List<String> claimedTwice,
            List<String> overlapping,
            List<String> logs,
            List<String> viewers,
            List<String> stuck) {
        int total() {
            return claimedTwice.size() + overlapping.size() + logs.size() + viewers.size() + stuck.size();
        }
    }

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        Path root = Path.of("").toAbsolutePath();
        Path dir = BenchEnv.tempDir(NAME);
        Duration runFor = Duration.ofMinutes(o.minutes());
        ChaosSchedule chaos = ChaosSchedule.of(o.seed(), runFor, REAL_AGENTS);
        System.err.println("soak: chaos schedule (seed " + o.seed() + "):\n" + chaos.describe());
        System.err.println("soak: scratch directory (logs of every process) " + dir);

        List<Seen> claims = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.currentTimeMillis();
        Checker checker = new Checker();
        List<String> faultsDone = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, List<String>> faultsByMinute = new ConcurrentHashMap<>();
        List<Long> storedLinesAtMinute = new ArrayList<>();
        double heapStart;
        double heapEnd;
        Report report;
        boolean keepDir = true; // unless the run ends well: the logs of every process are the evidence
        try (SoakCluster cluster =
                new SoakCluster(root, dir, c -> claims.add(new Seen(c, System.currentTimeMillis() - t0)))) {
            cluster.start();
            String adminToken =
                    Files.readString(cluster.dataDir(0).resolve("admin.token")).trim();
            ApiClient admin = new ApiClient(cluster.replicaUrl(0), () -> adminToken);
            String poolToken =
                    Files.readString(cluster.dataDir(0).resolve("agent.token")).trim();
            for (int i = 0; i < REAL_AGENTS; i++) cluster.startAgent(i);
            try (Connection db = cluster.connect();
                    SoakWorkload load = new SoakWorkload(
                            admin, o.seed(), c -> claims.add(new Seen(c, System.currentTimeMillis() - t0)))) {
                load.startAgents(cluster.proxy.url(), poolToken, SIMULATED_AGENTS);
                System.err.println("soak: " + SIMULATED_AGENTS + " simulated and " + REAL_AGENTS
                        + " real agents up; load for " + o.minutes() + " min");
                long runStart = System.currentTimeMillis();
                Thread faults = Thread.ofPlatform()
                        .name("soak-chaos")
                        .start(() -> runChaos(cluster, chaos, runStart, faultsDone, faultsByMinute));
                AtomicBoolean checking = new AtomicBoolean(true);
                Thread checks = Thread.ofPlatform().name("soak-checks").start(() -> {
                    try (Connection own = cluster.connect()) {
                        while (checking.get()) {
                            try {
                                checker.round(own, admin, load, claims, false);
                            } catch (SQLException | RuntimeException e) {
                                System.err.println("soak: a round of checks failed (the next one retries): " + e);
                            }
                            Thread.sleep(CHECK_EVERY.toMillis());
                        }
                    } catch (Exception e) {
                        System.err.println("soak: the checks stopped: " + e);
                    }
                });
                long periodMillis = Math.round(1000 / o.rate());
                long nextTask = runStart;
                int minute = 0;
                storedLinesAtMinute.add(storedLines(db));
                Double heapAtCalmEnd = null;
                Map<String, Long> histogramAtStart = Map.of();
                while (System.currentTimeMillis() - runStart < runFor.toMillis()) {
                    long now = System.currentTimeMillis();
                    if (now >= nextTask) {
                        load.createOne();
                        nextTask += periodMillis;
                    }
                    if (heapAtCalmEnd == null && now - runStart >= ChaosSchedule.CALM_START.toMillis() - 5_000) {
                        heapAtCalmEnd = cluster.heapAfterFullGcMib(0);
                        histogramAtStart = cluster.classHistogram(0);
                        System.err.printf(Locale.ROOT, "soak: replica A heap after full GC: %.1f MiB%n", heapAtCalmEnd);
                    }
                    if (now - runStart >= (minute + 1) * 60_000L) {
                        minute++;
                        storedLinesAtMinute.add(storedLines(db));
                        System.err.printf(
                                Locale.ROOT,
                                "soak: minute %d: %d claims, %d lines stored, faults %s; breaches so far %d%n",
                                minute,
                                claimsIn(claims, runStart - t0, minute - 1),
                                storedLinesAtMinute.get(minute) - storedLinesAtMinute.get(minute - 1),
                                faultsByMinute.getOrDefault(minute - 1, List.of()),
                                checker.breaches().total());
                    }
                    Thread.sleep(Math.max(1, Math.min(nextTask - System.currentTimeMillis(), 1_000)));
                }
                faults.join();
                load.stopCreating();
                if (storedLinesAtMinute.size() <= o.minutes()) storedLinesAtMinute.add(storedLines(db));
                System.err.println("soak: load stopped; draining (up to " + DRAIN.toMinutes() + " min)");
                long drainEnd = System.currentTimeMillis() + DRAIN.toMillis();
                while (System.currentTimeMillis() < drainEnd && !unfinished(db).isEmpty()) Thread.sleep(2_000);
                checking.set(false);
                checks.join();
                String left = unfinishedWhy(db);
                checker.round(db, admin, load, claims, true);
                heapStart = heapAtCalmEnd == null ? Double.NaN : heapAtCalmEnd;
                heapEnd = cluster.heapAfterFullGcMib(0);
                String growers = growers(histogramAtStart, cluster.classHistogram(0));
                System.err.println("soak: replica A's classes that grew most: " + growers);
                List<Minute> minutes = new ArrayList<>();
                for (int m = 0; m < o.minutes(); m++) {
                    minutes.add(new Minute(
                            claimsIn(claims, runStart - t0, m),
                            storedLinesAtMinute.get(m + 1) - storedLinesAtMinute.get(m),
                            faultsByMinute.getOrDefault(m, List.of())));
                }
                report = new Report(
                        o,
                        chaos,
                        List.copyOf(faultsDone),
                        minutes,
                        checker.breaches(),
                        checker.logsChecked,
                        checker.viewersChecked,
                        checker.viewerReopens,
                        heapStart,
                        heapEnd,
                        statusCounts(db),
                        realAgentClaims(claims),
                        claims.size(),
                        load,
                        left,
                        growers);
            }
            keepDir = report.breaches().total() > 0 || report.heapGrowth() > HEAP_GROWTH_LIMIT;
        } finally {
            if (!keepDir) BenchEnv.deleteTree(dir);
        }
        BenchmarkDoc.publish(o.doc(), NAME, report.render(Duration.between(started, Instant.now()), loadAtStart));
        if (keepDir) {
            System.err.println("soak: FAILED: " + report.failures() + "\nsoak: logs of every process kept in " + dir);
            System.exit(1);
        }
    }

    private static void runChaos(
            SoakCluster cluster,
            ChaosSchedule chaos,
            long runStart,
            List<String> done,
            Map<Integer, List<String>> byMinute) {
        for (ChaosSchedule.Fault f : chaos.faults()) {
            try {
                long wait = runStart + f.at().toMillis() - System.currentTimeMillis();
                if (wait > 0) Thread.sleep(wait);
                long at = System.currentTimeMillis() - runStart;
                switch (f.kind()) {
                    case KILL_AGENT -> {
                        cluster.killAgent(f.agent());
                        Thread.sleep(5_000);
                        cluster.startAgent(f.agent());
                    }
                    case KILL_REPLICA -> {
                        cluster.killReplica(1);
                        Thread.sleep(10_000);
                        cluster.startReplica(1);
                    }
                    case RESTART_REDIS -> {
                        cluster.killRedis();
                        Thread.sleep(3_000);
                        cluster.startRedis();
                    }
                    case CUT_CONNECTIONS -> cluster.proxy.cutAll();
                }
                long took = System.currentTimeMillis() - runStart - at;
                String line = String.format(
                        Locale.ROOT,
                        "%d s (planned %d s): %s (recovered in %.1f s)",
                        at / 1000,
                        f.at().toSeconds(),
                        f.describe(),
                        took / 1000.0);
                System.err.println("soak: fault at " + line);
                done.add(line);
                byMinute.computeIfAbsent((int) (at / 60_000), m -> Collections.synchronizedList(new ArrayList<>()))
                        .add(shortName(f));
            } catch (Exception e) {
                done.add("FAILED to inject " + f.describe() + ": " + e);
                System.err.println("soak: could not inject " + f.describe() + ": " + e);
            }
        }
    }

    private static String shortName(ChaosSchedule.Fault f) {
        return switch (f.kind()) {
            case KILL_AGENT -> "kill agent " + f.agent();
            case KILL_REPLICA -> "kill replica B";
            case RESTART_REDIS -> "restart Redis";
            case CUT_CONNECTIONS -> "cut connections";
        };
    }

    /** The five classes whose live bytes grew most, as "name +N KiB". */
    static String growers(Map<String, Long> before, Map<String, Long> after) {
        List<String> top = after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(5)
                .map(e -> "`" + e.getKey() + "` +" + count(e.getValue() / 1024.0) + " KiB")
                .toList();
        return top.isEmpty() ? "none" : String.join(", ", top);
    }

    private static int claimsIn(List<Seen> claims, long runOffset, int minute) {
        long from = runOffset + minute * 60_000L;
        synchronized (claims) {
            return (int) claims.stream()
                    .filter(s -> s.atMillis() >= from && s.atMillis() < from + 60_000)
                    .count();
        }
    }

    private static int realAgentClaims(List<Seen> claims) {
        synchronized (claims) {
            return (int) claims.stream()
                    .filter(s -> s.claim().agent().startsWith("real-"))
                    .count();
        }
    }

    /** Lines in the store, every attempt's: sampled each minute for lines/s. */
    private static long storedLines(Connection db) throws SQLException {
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("select coalesce(sum(line_count), 0) from log_chunks")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The statuses a task ends in, as an SQL list: {@code 'succeeded', 'failed', …}. */
    private static final String ENDED = java.util.Arrays.stream(TaskStatus.values())
            .filter(TaskStatus::isTerminal)
            .map(t -> "'" + t.wireName() + "'")
            .collect(java.util.stream.Collectors.joining(", "));

    private static List<String> unfinished(Connection db) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Statement s = db.createStatement();
                ResultSet rs =
                        s.executeQuery("select task_id from tasks where status not in (" + ENDED + ") order by seq")) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
    }

    /**
     * What is left unfinished after the drain and why, counted: by action and status, and whether the task's workspace
     * is locked by another task that ended (an apply lost while applying keeps its lock until a person looks: every
     * plan_apply queued there waits for that), with the first few ids. Not an invariant: the chaos kills agents while
     * they apply, so workspaces end locked by design.
     */
    private static String unfinishedWhy(Connection db) throws SQLException {
        Map<String, Integer> groups = new TreeMap<>();
        List<String> first = new ArrayList<>();
        int locked;
        try (Statement s = db.createStatement()) {
            try (ResultSet rs = s.executeQuery("""
                    select t.task_id, t.action, t.status, l.status as lock_status from tasks t
                    join workspaces w on w.workspace_id = t.workspace_id
                    left join tasks l on l.task_id = w.lock_task_id and l.task_id <> t.task_id
                    where t.status not in (%s)
                    order by t.seq""".formatted(ENDED))) {
                while (rs.next()) {
                    String lock = rs.getString("lock_status");
                    String group = rs.getString("action") + " " + rs.getString("status")
                            + (lock == null ? "" : " behind a workspace lock kept by a " + lock + " task");
                    groups.merge(group, 1, Integer::sum);
                    if (first.size() < 10) first.add(rs.getString("task_id"));
                }
            }
            try (ResultSet rs = s.executeQuery("""
                    select count(*) from workspaces w join tasks l on l.task_id = w.lock_task_id
                    where l.status in (%s)""".formatted(ENDED))) {
                rs.next();
                locked = rs.getInt(1);
            }
        }
        if (groups.isEmpty()) return "none";
        List<String> parts = new ArrayList<>();
        groups.forEach((group, n) -> parts.add(n + " " + group));
        return groups.values().stream().mapToInt(Integer::intValue).sum() + " (" + String.join(", ", parts) + "; "
                + locked + " workspaces locked by a task that ended, kept for a person to inspect; the first: "
                + first + ")";
    }

    private static Map<String, Integer> statusCounts(Connection db) throws SQLException {
        Map<String, Integer> counts = new TreeMap<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("select action || ' ' || status, count(*) from tasks group by 1")) {
            while (rs.next()) counts.put(rs.getString(1), rs.getInt(2));
        }
        return counts;
    }

    /**
     * The invariants, checked every {@link #CHECK_EVERY} against the store and the log API: each finished attempt's
     * log once (and its viewer's, if it had one), the claims, the applies and the running tasks every round.
     */
    static final class Checker {
        private final Set<String> checked = ConcurrentHashMap.newKeySet();
        private final Set<String> badLogs = new TreeSet<>();
        private final Set<String> badViewers = new TreeSet<>();
        private final Set<String> stuck = new TreeSet<>();
        private final Map<String, PendingViewer> pendingViewers = new TreeMap<>();
        private List<String> twice = List.of();
        private List<String> overlapping = List.of();
        int logsChecked;
        int viewersChecked;
        int viewerReopens;

        synchronized Breaches breaches() {
            return new Breaches(twice, overlapping, List.copyOf(badLogs), List.copyOf(badViewers), List.copyOf(stuck));
        }

        synchronized void round(Connection db, ApiClient admin, SoakWorkload load, List<Seen> claims, boolean last)
                throws SQLException {
            List<SoakInvariants.Claim> all;
            synchronized (claims) {
                all = claims.stream().map(Seen::claim).toList();
            }
            twice = SoakInvariants.claimedTwice(all);
            overlapping = SoakInvariants.overlappingApplies(applies(db));
            stuck.addAll(SoakInvariants.stuckPastLease(
                    running(db), SoakCluster.LEASE, SoakCluster.LOST_APPLY_WINDOW, STUCK_SLACK));
            try (PreparedStatement q = db.prepareStatement(
                    "select task_id, status, attempt, log_lines, log_complete from tasks where attempt > 0")) {
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString(1);
                        TaskStatus status = TaskStatus.fromWire(rs.getString(2));
                        if (!status.isTerminal() || checked.contains(id)) continue;
                        if (checkLog(admin, load, id, status, rs.getInt(3), rs.getLong(4), rs.getBoolean(5), last))
                            checked.add(id);
                    }
                }
            }
            checkViewers(last);
            if (!twice.isEmpty() || !overlapping.isEmpty() || !stuck.isEmpty() || !badLogs.isEmpty())
                System.err.println("soak: BREACH so far: " + breaches());
        }

        /** Checks one finished attempt's log; false: it could not be read now, try again next round. */
        private boolean checkLog(
                ApiClient admin,
                SoakWorkload load,
                String id,
                TaskStatus status,
                int attempt,
                long recorded,
                boolean complete,
                boolean last) {
            long[] seqs;
            try {
                seqs = replay(admin, id);
            } catch (RuntimeException e) {
                // A loaded machine's timeout says nothing about the log: tried again next round, a breach in the last.
                if (!last) return false;
                badLogs.add(id);
                System.err.println("soak: BREACH: the log of " + id + " could not be replayed: " + e);
                return true;
            }
            logsChecked++;
            String problem = SoakInvariants.logProblem(
                    new SoakInvariants.Log(id, recorded, complete, status == TaskStatus.SUCCEEDED, seqs));
            if (problem != null) {
                badLogs.add(id);
                System.err.println("soak: BREACH: log of " + id + " (" + status.wireName() + ", attempt " + attempt
                        + "): " + problem);
            }
            SoakViewer viewer = load.viewers.get(id);
            if (viewer != null) pendingViewers.put(id, new PendingViewer(viewer, attempt, recorded));
            return true;
        }

        /**
         * Viewers of finished tasks: the end frame may come a moment after the store says the task ended, so a viewer
         * without it is looked at again next round, and counted against the invariant only in the last one.
         */
        private void checkViewers(boolean last) {
            for (var it = pendingViewers.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                PendingViewer p = e.getValue();
                if (!p.viewer().ended() && p.viewer().failure() == null && !last) continue;
                it.remove();
                viewersChecked++;
                viewerReopens += p.viewer().reopens();
                String seen = p.viewer().ended()
                        ? SoakInvariants.logProblem(new SoakInvariants.Log(
                                e.getKey(),
                                p.recorded(),
                                true,
                                false,
                                p.viewer().seqsOf(p.attempt())))
                        : "no end frame"
                                + (p.viewer().failure() == null
                                        ? ""
                                        : " (" + p.viewer().failure() + ")");
                if (seen != null) {
                    badViewers.add(e.getKey());
                    System.err.println("soak: BREACH: viewer of " + e.getKey() + ": " + seen);
                }
            }
        }

        private static long[] replay(ApiClient admin, String id) {
            List<Long> seqs = new ArrayList<>();
            long offset = 0;
            while (true) {
                LogPage page = admin.get(
                        ApiPaths.fill(ApiPaths.TASK_LOGS, id) + "?offset=" + offset + "&limit=10000", LogPage.class);
                for (LogLine l : page.lines()) seqs.add(l.seq());
                if (page.lines().isEmpty() || page.nextOffset() == offset) break;
                offset = page.nextOffset();
            }
            return seqs.stream().mapToLong(Long::longValue).toArray();
        }

        private static List<SoakInvariants.Apply> applies(Connection db) throws SQLException {
            List<SoakInvariants.Apply> applies = new ArrayList<>();
            try (Statement s = db.createStatement();
                    ResultSet rs = s.executeQuery("select workspace_id, task_id, started_at, finished_at from tasks"
                            + " where action = 'plan_apply' and started_at is not null")) {
                while (rs.next()) {
                    Timestamp finished = rs.getTimestamp(4);
                    applies.add(new SoakInvariants.Apply(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getTimestamp(3).toInstant(),
                            finished == null ? null : finished.toInstant()));
                }
            }
            return applies;
        }

        private static List<SoakInvariants.Running> running(Connection db) throws SQLException {
            List<SoakInvariants.Running> running = new ArrayList<>();
            try (Statement s = db.createStatement();
                    ResultSet rs = s.executeQuery("select t.task_id, t.phase = 'applying',"
                            + " extract(epoch from now() - a.last_seen) from tasks t join agents a using (agent_id)"
                            + " where t.status = 'running'")) {
                while (rs.next()) {
                    running.add(new SoakInvariants.Running(
                            rs.getString(1), rs.getBoolean(2), Duration.ofMillis(Math.round(rs.getDouble(3) * 1000))));
                }
            }
            return running;
        }
    }

    record Report(
            Options options,
            ChaosSchedule chaos,
            List<String> faultsDone,
            List<Minute> minutes,
            Breaches breaches,
            int logsChecked,
            int viewersChecked,
            int viewerReopens,
            double heapStart,
            double heapEnd,
            Map<String, Integer> statuses,
            int realClaims,
            int allClaims,
            SoakWorkload load,
            String leftUnfinished,
            String growers) {
        double heapGrowth() {
            return (heapEnd - heapStart) / heapStart;
        }

        String failures() {
            List<String> f = new ArrayList<>();
            if (!breaches.claimedTwice().isEmpty()) f.add("claimed twice: " + breaches.claimedTwice());
            if (!breaches.overlapping().isEmpty()) f.add("overlapping applies: " + breaches.overlapping());
            if (!breaches.logs().isEmpty()) f.add("bad logs: " + breaches.logs());
            if (!breaches.viewers().isEmpty()) f.add("bad viewers: " + breaches.viewers());
            if (!breaches.stuck().isEmpty()) f.add("stuck past their lease: " + breaches.stuck());
            if (heapGrowth() > HEAP_GROWTH_LIMIT)
                f.add(String.format(Locale.ROOT, "heap grew %.0f %%", 100 * heapGrowth()));
            return String.join("; ", f);
        }

        String render(Duration took, String loadAtStart) {
            StringBuilder s = new StringBuilder();
            s.append("## soak: two replicas, 203 agents and a chaos schedule, invariants checked throughout\n\n");
            s.append("Command: `bench/run soak --minutes ")
                    .append(options.minutes())
                    .append("` (seed ")
                    .append(options.seed())
                    .append(", ")
                    .append(String.format(Locale.ROOT, "%.1f", options.rate()))
                    .append(" tasks/s). Two `./iac server` replicas on a fresh database of the machine's PostgreSQL"
                            + " (durable commits: synchronous_commit on, the default) with a redis-server of the run's"
                            + " own; ")
                    .append(SIMULATED_AGENTS)
                    .append(" simulated agents (bare protocol calls, one task at a time, lines uploaded 1,000 a"
                            + " batch) and ")
                    .append(REAL_AGENTS)
                    .append(" real `./iac agent` processes running real Terraform, all through a proxy that spreads"
                            + " their connections over both replicas. Tasks: plans and plan_applies (")
                    .append(Math.round(100 * SoakWorkload.APPLY_SHARE))
                    .append(" %) over ")
                    .append(SoakWorkload.WORKSPACES)
                    .append(" workspaces, each printing 100 to 100,000 lines (log-uniform); ")
                    .append(Math.round(100 * SoakWorkload.CANCEL_SHARE))
                    .append(" % canceled 0–10 s after they are queued, ")
                    .append(Math.round(100 * SoakWorkload.VIEWER_SHARE))
                    .append(" % watched live on replica A's `/ws/logs` from seq 0. Lease ")
                    .append(SoakCluster.LEASE.toSeconds())
                    .append(" s, lost-apply window ")
                    .append(SoakCluster.LOST_APPLY_WINDOW.toSeconds())
                    .append(" s. After the load, a drain of up to ")
                    .append(DRAIN.toMinutes())
                    .append(" min lets the tasks finish.\n\n");
            s.append("Chaos schedule (from the seed; replica B is the one killed, so replica A's heap compares a"
                    + " process with itself):\n\n");
            for (String f : faultsDone) s.append("- ").append(f).append('\n');
            s.append("\n| minute | claims/s | lines/s stored | faults |\n|---:|---:|---:|---|\n");
            for (int m = 0; m < minutes.size(); m++) {
                Minute row = minutes.get(m);
                s.append(String.format(
                        Locale.ROOT,
                        "| %d | %.1f | %s | %s |%n",
                        m + 1,
                        row.claims() / 60.0,
                        count(row.lines() / 60.0),
                        row.faults().isEmpty() ? "" : String.join(", ", row.faults())));
            }
            s.append("\n| invariant | breaches | how it is checked |\n|---|---:|---|\n");
            s.append("| tasks claimed twice | ")
                    .append(breaches.claimedTwice().size())
                    .append(" | the same (task, attempt) in two claims: every pull response of the simulated agents"
                            + " and every `task … attempt …: starting` of the real agents (")
                    .append(count(allClaims))
                    .append(" claims, ")
                    .append(realClaims)
                    .append(" by real agents) |\n");
            s.append("| applies overlapping in a workspace | ")
                    .append(breaches.overlapping().size())
                    .append(" | plan_applies' `started_at`–`finished_at` per workspace in the store |\n");
            s.append("| logs incomplete, with a gap or a duplicate | ")
                    .append(breaches.logs().size())
                    .append(" | each finished attempt's replay (`GET /api/v1/tasks/{id}/logs`, 10,000 a page): seqs"
                            + " 0…n−1 exactly once, n = the store's `log_lines`, complete if it succeeded (")
                    .append(count(logsChecked))
                    .append(" logs) |\n");
            s.append("| viewers with a gap, a duplicate or no end | ")
                    .append(breaches.viewers().size())
                    .append(" | the final attempt's seqs a live viewer got, the same way (")
                    .append(viewersChecked)
                    .append(" viewers; closed before the end, a viewer opens again from its offset, as the web UI"
                            + " does: ")
                    .append(viewerReopens)
                    .append(" reopens) |\n");
            s.append("| tasks stuck past their lease | ")
                    .append(breaches.stuck().size())
                    .append(" | running, agent silent longer than lease + ")
                    .append(STUCK_SLACK.toSeconds())
                    .append(" s (applies: + the lost-apply window), every ")
                    .append(CHECK_EVERY.toSeconds())
                    .append(" s |\n");
            s.append(String.format(
                    Locale.ROOT,
                    "%nReplica A's heap after a full GC (`jcmd PID GC.run`, then `GC.heap_info`'s used): %.1f MiB"
                            + " %d s into the load (before the first fault), %.1f MiB after the drain: %+.0f %%"
                            + " (limit +%.0f %%).%n%n",
                    heapStart,
                    ChaosSchedule.CALM_START.toSeconds() - 5,
                    heapEnd,
                    100 * heapGrowth(),
                    100 * HEAP_GROWTH_LIMIT));
            s.append("Classes whose instances grew most between the two (`jcmd PID GC.class_histogram`): ")
                    .append(growers)
                    .append(".\n\n");
            s.append("Tasks: ")
                    .append(load.plans.get())
                    .append(" plans and ")
                    .append(load.applies.get())
                    .append(" plan_applies created, ")
                    .append(load.cancels.get())
                    .append(" cancels accepted; at the end ");
            List<String> parts = new ArrayList<>();
            statuses.forEach((k, v) -> parts.add(v + " " + k));
            s.append(String.join(", ", parts))
                    .append(". Unfinished after the drain: ")
                    .append(leftUnfinished)
                    .append(". Refusals and give-ups the simulated agents and the load met: ")
                    .append(load.describeRefusals())
                    .append(".\n\n");
            s.append("The machine is shared and was loaded: per-minute rates are noisy and say more about the"
                    + " machine than about the server; the invariant counts do not depend on it. ");
            s.append(BenchEnv.runFooter(
                    took, "Both replicas, PostgreSQL, Redis, the agents, Terraform and the bench", loadAtStart));
            return s.toString();
        }
    }
}
