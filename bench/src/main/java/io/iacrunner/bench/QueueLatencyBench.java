package io.iacrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

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
            if (tasks < 1 || agents < 1 || gap < 0) throw new IllegalArgumentException("--tasks, --agents >= 1; --mean-gap-ms >= 0");
            return new Options(tasks, agents, gap, doc);
        }
    }

    enum Mode {
        LONG_POLL("long poll", "each agent keeps one pull waiting on the server (`wait_seconds` = " + LONG_POLL_WAIT_SECONDS
                + "), as iac-runner's agent does"),
        TIMER_POLL("timer poll (5 s)", "each agent pulls with `wait_seconds` = 0 every 5 s, from a random phase, as the seed's"
                + " agent design does");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** Latencies in milliseconds, sorted; {@code early}: tasks the agent had before the create call returned. */
    record Result(Mode mode, double[] millis, int early, Duration took) {
        double percentile(double p) {
            int rank = (int) Math.ceil(p / 100.0 * millis.length);
            return millis[Math.max(0, Math.min(millis.length - 1, rank - 1))];
        }

        double median() {
            int n = millis.length;
            return n % 2 == 1 ? millis[n / 2] : (millis[n / 2 - 1] + millis[n / 2]) / 2;
        }

        double mean() {
            return Arrays.stream(millis).average().orElse(Double.NaN);
        }

        double max() {
            return millis[millis.length - 1];
        }
    }

    static void run(Options options) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = loadAverage();
        System.err.printf("queue-latency: %d tasks per mode, %d agents, mean gap %d ms%n", options.tasks(), options.agents(),
                options.meanGapMillis());
        Path data = Files.createTempDirectory("iac-bench-");
        List<Result> results = new ArrayList<>();
        try (IacServer server = IacServer.start(ServerConfig.defaults().withPort(0).withDataDir(data)
                .withPingInterval(PING_INTERVAL))) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            String poolToken = Files.readString(server.agentTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            for (Mode mode : Mode.values()) {
                Result r = measure(server, admin, poolToken, mode, options);
                System.err.printf("queue-latency: %-17s median %8.1f ms  p99 %8.1f ms  (%d s)%n", mode.label, r.median(),
                        r.percentile(99), r.took().toSeconds());
                results.add(r);
            }
        } finally {
            deleteTree(data);
        }
        String section = render(results, options, Duration.between(started, Instant.now()), loadAtStart);
        System.out.println(section);
        if (options.doc() != null) {
            BenchmarkDoc.writeSection(options.doc(), NAME, section);
            System.err.println("queue-latency: wrote its section of " + options.doc());
        }
    }

    private static Result measure(IacServer server, ApiClient admin, String poolToken, Mode mode, Options options)
            throws Exception {
        Instant began = Instant.now();
        List<SimulatedAgent> agents = new ArrayList<>();
        for (int i = 0; i < options.agents(); i++) agents.add(SimulatedAgent.register(server, poolToken, mode.name() + "-" + i));
        Map<String, Long> createdAt = new ConcurrentHashMap<>();
        Map<String, Long> receivedAt = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
        pinger.scheduleAtFixedRate(() -> agents.forEach(SimulatedAgent::ping), 0, PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        Random random = new Random(mode.ordinal() + 1L);
        List<Thread> threads = new ArrayList<>();
        for (SimulatedAgent agent : agents) {
            long phaseMillis = random.nextLong(TIMER_INTERVAL.toMillis());
            threads.add(Thread.ofPlatform().name("agent-" + agent.name).start(() -> {
                try {
                    if (mode == Mode.LONG_POLL) agent.longPoll(stop, receivedAt);
                    else agent.timerPoll(stop, receivedAt, phaseMillis);
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
            ObjectNode tf = (ObjectNode) WireJson.lenient().readTree(
                    "{\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"bench\"}}}}");
            for (int i = 0; i < options.tasks(); i++) {
                Thread.sleep(random.nextInt(2 * options.meanGapMillis() + 1));
                TaskView task = admin.post(ApiPaths.TASKS, new CreateTaskRequest("bench-" + mode.name().toLowerCase(Locale.ROOT)
                        + "-" + i % 10, TaskAction.PLAN, tf, null, null, null), TaskView.class);
                createdAt.put(task.taskId(), System.nanoTime());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!receivedAt.keySet().containsAll(createdAt.keySet())) {
                if (System.nanoTime() > deadline || failures.get() > 0) {
                    throw new IllegalStateException(mode.label + ": only " + receivedAt.size() + " of " + createdAt.size()
                            + " tasks reached an agent (" + failures.get() + " agent failures)");
                }
                Thread.sleep(50);
            }
        } finally {
            stop.set(true);
            // Not interrupted: a long poll abandoned by its client may still claim a task on the server.
            for (Thread t : threads) t.join(Duration.ofSeconds(LONG_POLL_WAIT_SECONDS + 20));
            pinger.shutdown(); // a ping in flight finishes: interrupting it would only print a spurious failure
            pinger.awaitTermination(30, TimeUnit.SECONDS);
            agents.forEach(SimulatedAgent::deregister);
        }
        double[] millis = createdAt.entrySet().stream()
                .mapToDouble(e -> (receivedAt.get(e.getKey()) - e.getValue()) / 1_000_000.0).sorted().toArray();
        int early = (int) Arrays.stream(millis).filter(m -> m < 0).count();
        return new Result(mode, millis, early, Duration.between(began, Instant.now()));
    }

    /** A simulated agent: its own agent token, pings, pulls, and an instant "done" for every task it gets. */
    private static final class SimulatedAgent {
        final String name;
        final String agentId;
        final ApiClient api;

        private SimulatedAgent(String name, String agentId, ApiClient api) {
            this.name = name;
            this.agentId = agentId;
            this.api = api;
        }

        static SimulatedAgent register(IacServer server, String poolToken, String name) {
            RegisterResponse r = new ApiClient(server.baseUrl(), () -> poolToken).post(ApiPaths.AGENT_REGISTER,
                    new RegisterRequest(name, "bench", "localhost"), RegisterResponse.class);
            String token = r.agentToken();
            return new SimulatedAgent(name, r.agentId(), new ApiClient(server.baseUrl(), () -> token));
        }

        void ping() {
            try {
                api.post(ApiPaths.AGENT_PING, new AgentPing(agentId, false, 0, 3, false, List.of(), 0, 0, "bench"), PingReply.class);
            } catch (RuntimeException e) {
                System.err.println("queue-latency: ping of " + name + " failed: " + e);
            }
        }

        void longPoll(AtomicBoolean stop, Map<String, Long> receivedAt) {
            while (!stop.get()) pullOnce(LONG_POLL_WAIT_SECONDS, receivedAt);
        }

        void timerPoll(AtomicBoolean stop, Map<String, Long> receivedAt, long phaseMillis) throws InterruptedException {
            long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(phaseMillis);
            while (true) {
                while (System.nanoTime() < next) {
                    if (stop.get()) return;
                    Thread.sleep(Math.min(100, Math.max(1, (next - System.nanoTime()) / 1_000_000)));
                }
                if (stop.get()) return;
                pullOnce(0, receivedAt);
                next += TIMER_INTERVAL.toNanos();
            }
        }

        private void pullOnce(int waitSeconds, Map<String, Long> receivedAt) {
            PullResponse reply = api.post(ApiPaths.TASK_PULL, new PullRequest(agentId, 3, true, waitSeconds), PullResponse.class,
                    Duration.ofSeconds(waitSeconds + 30));
            long now = System.nanoTime();
            for (TaskAssignment t : reply.tasks()) receivedAt.putIfAbsent(t.taskId(), now);
            for (TaskAssignment t : reply.tasks()) {
                api.post(ApiPaths.fill(ApiPaths.TASK_RESULT, t.taskId()),
                        new TaskResult(t.attempt(), TaskStatus.SUCCEEDED, 0, null, 0), TaskView.class);
            }
        }

        void deregister() {
            try {
                api.post(ApiPaths.AGENT_DEREGISTER, null, Void.class);
            } catch (RuntimeException e) {
                System.err.println("queue-latency: deregistering " + name + " failed: " + e);
            }
        }
    }

    private static String render(List<Result> results, Options o, Duration took, String loadAtStart) {
        Result longPoll = results.get(0);
        Result timer = results.get(1);
        StringBuilder s = new StringBuilder();
        s.append("## queue-latency: queued to started, long poll vs timer poll\n\n");
        s.append("Command: `bench/run queue-latency`. Measured: the time from `POST /api/v1/tasks` returning to a simulated")
                .append(" agent's `POST /api/v1/tasks/pull` returning that task. ").append(o.tasks())
                .append(" plans are queued one at a time, at random gaps of 0-").append(2 * o.meanGapMillis())
                .append(" ms, for each of two modes run one after the other against the same embedded server (loopback),")
                .append(" each with ").append(o.agents()).append(" simulated agents that report every task done as soon as")
                .append(" they get it and ping every ").append(PING_INTERVAL.toSeconds()).append(" s:\n\n");
        for (Result r : results) s.append("- **").append(r.mode().label).append("**: ").append(r.mode().description).append(".\n");
        s.append("\n| mode | tasks | median | p99 | mean | max |\n|---|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            s.append("| ").append(r.mode().label).append(" | ").append(r.millis().length).append(" | ")
                    .append(ms(r.median())).append(" | ").append(ms(r.percentile(99))).append(" | ").append(ms(r.mean()))
                    .append(" | ").append(ms(r.max())).append(" |\n");
        }
        s.append("\nTimer poll / long poll: **median ×").append(ratio(timer.median(), longPoll.median())).append("**, p99 ×")
                .append(ratio(timer.percentile(99), longPoll.percentile(99))).append(".\n\n");
        s.append("With ").append(o.agents()).append(" agents on the timer, some agent pulls every ")
                .append(TIMER_INTERVAL.toMillis() / o.agents()).append(" ms on average, which is what keeps the timer's")
                .append(" median this low; it grows as the pool shrinks (one agent alone waits 2.5 s on average, 5 s at")
                .append(" worst), while the long poll's does not depend on the number of agents.\n\n");
        if (longPoll.early() + timer.early() > 0) {
            s.append("Negative latencies: the agent had the task before the create call had returned to the producer (")
                    .append(longPoll.early()).append(" long poll, ").append(timer.early())
                    .append(" timer poll); they are counted as measured.\n\n");
        }
        s.append("Run ").append(DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC)))
                .append(" (UTC), ").append(took.toSeconds()).append(" s in all, on: ").append(machine())
                .append(". Server, embedded PostgreSQL, producer and agents share the machine; its load average (1 min) was ")
                .append(loadAtStart).append(" at the start and ").append(loadAverage()).append(" at the end.\n");
        return s.toString();
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms", v);
    }

    private static String ratio(double slow, double fast) {
        if (fast <= 0) return "n/a";
        double r = slow / fast;
        return String.format(Locale.ROOT, r < 10 ? "%.1f" : "%.0f", r);
    }

    private static String machine() {
        String cpu = "";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim() + ", ")
                    .orElse("");
        } catch (IOException | RuntimeException e) {
            // Not Linux: the processor count below still says something.
        }
        return "nproc " + Runtime.getRuntime().availableProcessors() + " (" + cpu + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch") + "), JDK "
                + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.vendor") + ")";
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("queue-latency: could not delete " + root + ": " + e);
        }
    }
}
