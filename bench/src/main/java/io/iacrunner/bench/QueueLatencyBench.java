package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.ms;
import static io.iacrunner.bench.Samples.ratio;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Queue-to-start latency: from the create call returning to a simulated agent's pull returning the task. Two modes
 * run one after the other against one embedded server on loopback: agents that keep a long poll waiting (what
 * iac-runner's agent does) and agents that pull on the seed's 5 s timer from a random phase. Every simulated agent
 * reports a task done as soon as it gets it, and pings like a real agent so that its lease holds.
 */
public final class QueueLatencyBench {
    static final String NAME = "queue-latency";
    private static final Duration TIMER_INTERVAL = Duration.ofSeconds(5);
    private static final int LONG_POLL_WAIT_SECONDS = 10;
    private static final Duration PING_INTERVAL = Duration.ofSeconds(5);

    private QueueLatencyBench() {}

    record Options(int tasks, int agents, int meanGapMillis, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int tasks = 200;
            int agents = 20;
            int gap = 300;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--tasks" -> tasks = Integer.parseInt(args.get(++i));
                    case "--agents" -> agents = Integer.parseInt(args.get(++i));
                    case "--mean-gap-ms" -> gap = Integer.parseInt(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (tasks < 1 || agents < 1 || gap < 0)
                throw new IllegalArgumentException("--tasks, --agents >= 1; --mean-gap-ms >= 0");
            return new Options(tasks, agents, gap, doc);
        }
    }

    enum Mode {
        LONG_POLL(
                "long poll",
                "each agent keeps one pull waiting on the server (`wait_seconds` = " + LONG_POLL_WAIT_SECONDS
                        + "), as iac-runner's agent does"),
        TIMER_POLL(
                "timer poll (5 s)",
                "each agent pulls with `wait_seconds` = 0 every 5 s, from a random phase, as the seed's"
                        + " agent design does");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** Latencies in milliseconds; {@code early}: tasks the agent had before the create call returned. */
    record Result(Mode mode, Samples millis, int early, Duration took) {}

    static void run(Options options) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        System.err.printf(
                "queue-latency: %d tasks per mode, %d agents, mean gap %d ms%n",
                options.tasks(), options.agents(), options.meanGapMillis());
        Path data = BenchEnv.tempDir(NAME);
        List<Result> results = new ArrayList<>();
        try (IacServer server = IacServer.start(ServerConfig.builder()
                .port(0)
                .dataDir(data)
                .pingInterval(PING_INTERVAL)
                .build())) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            for (Mode mode : Mode.values()) {
                Result r = measure(server, admin, mode, options);
                System.err.printf(
                        "queue-latency: %-17s median %8.1f ms  p99 %8.1f ms  (%d s)%n",
                        mode.label,
                        r.millis().median(),
                        r.millis().percentile(99),
                        r.took().toSeconds());
                results.add(r);
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(
                options.doc(), NAME, render(results, options, Duration.between(started, Instant.now()), loadAtStart));
    }

    private static Result measure(IacServer server, ApiClient admin, Mode mode, Options options) throws Exception {
        Instant began = Instant.now();
        List<SimulatedAgent> agents = new ArrayList<>();
        for (int i = 0; i < options.agents(); i++) agents.add(SimulatedAgent.register(server, mode.name() + "-" + i));
        Map<String, Long> createdAt = new ConcurrentHashMap<>();
        Map<String, Long> receivedAt = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        AutoCloseable pinger = SimulatedAgent.pingInBackground(agents, PING_INTERVAL);
        Random random = new Random(mode.ordinal() + 1L);
        List<Thread> threads = new ArrayList<>();
        for (SimulatedAgent agent : agents) {
            long phaseMillis = random.nextLong(TIMER_INTERVAL.toMillis());
            threads.add(Thread.ofPlatform().name("agent-" + agent.name).start(() -> {
                try {
                    if (mode == Mode.LONG_POLL) longPoll(agent, stop, receivedAt);
                    else timerPoll(agent, stop, receivedAt, phaseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    System.err.println("queue-latency: agent " + agent.name + " failed: " + e);
                }
            }));
        }
        try {
            Thread.sleep(1000); // every long poll is waiting on the server before the first task
            for (int i = 0; i < options.tasks(); i++) {
                Thread.sleep(random.nextInt(2 * options.meanGapMillis() + 1));
                TaskView task = BenchTasks.queue(
                        admin, "bench-" + mode.name().toLowerCase(Locale.ROOT) + "-" + i % 10, TaskAction.PLAN);
                createdAt.put(task.taskId(), System.nanoTime());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!receivedAt.keySet().containsAll(createdAt.keySet())) {
                if (System.nanoTime() > deadline || failures.get() > 0) {
                    throw new IllegalStateException(mode.label + ": only " + receivedAt.size() + " of "
                            + createdAt.size() + " tasks reached an agent (" + failures.get() + " agent failures)");
                }
                Thread.sleep(50);
            }
        } finally {
            stop.set(true);
            // Not interrupted: a long poll abandoned by its client may still claim a task on the server.
            for (Thread t : threads) t.join(Duration.ofSeconds(LONG_POLL_WAIT_SECONDS + 20));
            pinger.close();
            agents.forEach(SimulatedAgent::deregister);
        }
        double[] millis = createdAt.entrySet().stream()
                .mapToDouble(e -> (receivedAt.get(e.getKey()) - e.getValue()) / 1_000_000.0)
                .toArray();
        int early = (int) Arrays.stream(millis).filter(m -> m < 0).count();
        return new Result(mode, Samples.of(millis), early, Duration.between(began, Instant.now()));
    }

    /** Keeps one pull waiting on the server at all times, as iac-runner's agent does. */
    private static void longPoll(SimulatedAgent agent, AtomicBoolean stop, Map<String, Long> receivedAt) {
        while (!stop.get()) pullOnce(agent, LONG_POLL_WAIT_SECONDS, receivedAt);
    }

    /** Pulls without waiting every {@link #TIMER_INTERVAL}, starting {@code phaseMillis} in, as the seed's agent does. */
    private static void timerPoll(
            SimulatedAgent agent, AtomicBoolean stop, Map<String, Long> receivedAt, long phaseMillis)
            throws InterruptedException {
        long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(phaseMillis);
        while (true) {
            while (System.nanoTime() < next) {
                if (stop.get()) return;
                Thread.sleep(Math.min(100, Math.max(1, (next - System.nanoTime()) / 1_000_000)));
            }
            if (stop.get()) return;
            pullOnce(agent, 0, receivedAt);
            next += TIMER_INTERVAL.toNanos();
        }
    }

    /** One pull; every task it returns is stamped with the time the pull returned, then reported done at once. */
    private static void pullOnce(SimulatedAgent agent, int waitSeconds, Map<String, Long> receivedAt) {
        PullResponse reply = agent.pull(waitSeconds);
        long now = System.nanoTime();
        for (TaskAssignment t : reply.tasks()) receivedAt.putIfAbsent(t.taskId(), now);
        for (TaskAssignment t : reply.tasks()) agent.succeed(t, 0, null);
    }

    private static String render(List<Result> results, Options o, Duration took, String loadAtStart) {
        Result longPoll = results.get(0);
        Result timer = results.get(1);
        StringBuilder s = new StringBuilder();
        s.append("## queue-latency: queued to started, long poll vs timer poll\n\n");
        s.append(
                        "Command: `bench/run queue-latency`. Measured: the time from `POST /api/v1/tasks` returning to a simulated")
                .append(" agent's `POST /api/v1/tasks/pull` returning that task. ")
                .append(o.tasks())
                .append(" plans are queued one at a time, at random gaps of 0-")
                .append(2 * o.meanGapMillis())
                .append(
                        " ms, for each of two modes run one after the other against the same embedded server (loopback),")
                .append(" each with ")
                .append(o.agents())
                .append(" simulated agents that report every task done as soon as")
                .append(" they get it and ping every ")
                .append(PING_INTERVAL.toSeconds())
                .append(" s:\n\n");
        for (Result r : results)
            s.append("- **")
                    .append(r.mode().label)
                    .append("**: ")
                    .append(r.mode().description)
                    .append(".\n");
        s.append("\n| mode | tasks | median | p99 | mean | max |\n|---|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            Samples m = r.millis();
            s.append("| ")
                    .append(r.mode().label)
                    .append(" | ")
                    .append(m.count())
                    .append(" | ")
                    .append(ms(m.median()))
                    .append(" | ")
                    .append(ms(m.percentile(99)))
                    .append(" | ")
                    .append(ms(m.mean()))
                    .append(" | ")
                    .append(ms(m.max()))
                    .append(" |\n");
        }
        s.append("\nTimer poll / long poll: **median ×")
                .append(ratio(timer.millis().median(), longPoll.millis().median()))
                .append("**, p99 ×")
                .append(ratio(timer.millis().percentile(99), longPoll.millis().percentile(99)))
                .append(".\n\n");
        s.append("With ")
                .append(o.agents())
                .append(" agents on the timer, some agent pulls every ")
                .append(TIMER_INTERVAL.toMillis() / o.agents())
                .append(" ms on average, which is what keeps the timer's")
                .append(
                        " median this low; it grows as the pool shrinks (one agent alone waits 2.5 s on average, 5 s at")
                .append(" worst), while the long poll's does not depend on the number of agents.\n\n");
        if (longPoll.early() + timer.early() > 0) {
            s.append("Negative latencies: the agent had the task before the create call had returned to the producer (")
                    .append(longPoll.early())
                    .append(" long poll, ")
                    .append(timer.early())
                    .append(" timer poll); they are counted as measured.\n\n");
        }
        s.append(BenchEnv.runFooter(took, "Server, embedded PostgreSQL, producer and agents", loadAtStart));
        return s.toString();
    }
}
