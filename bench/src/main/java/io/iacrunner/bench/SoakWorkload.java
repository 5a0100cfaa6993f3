package io.iacrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The soak's steady load: a task every {@code 1/rate} seconds (plans and plan_applies over a few workspaces, each
 * printing 100 to 100,000 lines, log-uniformly), some canceled a few seconds after they are queued, some watched
 * live; and simulated agents that pull through the proxy, report their phases, upload the lines in batches of 1,000
 * and report success, retrying through cuts and restarts as an agent does. All random choices come from one seed.
 */
final class SoakWorkload implements AutoCloseable {
    static final int MIN_LINES = 100;
    static final int MAX_LINES = 100_000;
    static final int WORKSPACES = 20;
    static final double APPLY_SHARE = 0.4;
    static final double CANCEL_SHARE = 0.1;
    static final double VIEWER_SHARE = 0.1;
    private static final int BATCH = 1_000;
    private static final Duration GIVE_UP = Duration.ofMinutes(2);

    private final List<LogLine> lines = TerraformLikeLines.generate(MAX_LINES);
    private final ApiClient admin;
    private final Random random;
    private final Consumer<SoakInvariants.Claim> claims;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService creators = Executors.newFixedThreadPool(4);
    private final List<SimulatedAgent> agents = new ArrayList<>();
    private final List<Thread> loops = new ArrayList<>();
    private volatile boolean pulling = true;

    final ConcurrentMap<String, SoakViewer> viewers = new ConcurrentHashMap<>();
    final ConcurrentMap<String, AtomicInteger> refusals = new ConcurrentHashMap<>();
    final AtomicInteger plans = new AtomicInteger();
    final AtomicInteger applies = new AtomicInteger();
    final AtomicInteger cancels = new AtomicInteger();
    final AtomicLong linesOffered = new AtomicLong();
    private int created;

    SoakWorkload(ApiClient admin, long seed, Consumer<SoakInvariants.Claim> claims) {
        this.admin = admin;
        this.random = new Random(seed);
        this.claims = claims;
    }

    /** Registers {@code count} simulated agents at {@code base} (the proxy) and starts their loops and pings. */
    void startAgents(URI base, String poolToken, int count) {
        for (int i = 0; i < count; i++) {
            SimulatedAgent agent = SimulatedAgent.register(base, "sim-" + i, poolToken);
            agents.add(agent);
        }
        // A ping loop per agent, as a real agent has: one ping at a time, the next one interval after the last reply.
        for (SimulatedAgent agent : agents) loops.add(Thread.ofVirtual().start(() -> pings(agent)));
        for (SimulatedAgent agent : agents) loops.add(Thread.ofVirtual().start(() -> loop(agent)));
    }

    /**
     * Queues the creation of one task (on replica A, not through the proxy: the chaos is the agents'), and maybe its
     * cancel or a viewer. The choices are drawn here, in order; the calls go to a few threads, so that a slow reply
     * does not slow the rate.
     */
    void createOne() {
        int n = (int) Math.round(MIN_LINES * Math.pow((double) MAX_LINES / MIN_LINES, random.nextDouble()));
        boolean apply = random.nextDouble() < APPLY_SHARE;
        String workspace = "soak-" + random.nextInt(WORKSPACES);
        double roll = random.nextDouble();
        long cancelAfterMillis = random.nextInt(10_000);
        int k = created++;
        creators.submit(() -> create(n, apply, workspace, roll, cancelAfterMillis, k));
    }

    private void create(int n, boolean apply, String workspace, double roll, long cancelAfterMillis, int k) {
        TaskView task;
        try {
            task = admin.post(
                    ApiPaths.TASKS,
                    new CreateTaskRequest(
                            workspace,
                            apply ? TaskAction.PLAN_APPLY : TaskAction.PLAN,
                            config(n, k),
                            null,
                            null,
                            null,
                            null,
                            null),
                    TaskView.class);
        } catch (RuntimeException e) {
            refused("create: " + e.getClass().getSimpleName());
            return;
        }
        (apply ? applies : plans).incrementAndGet();
        if (roll < CANCEL_SHARE) {
            scheduler.schedule(() -> cancel(task.taskId()), cancelAfterMillis, TimeUnit.MILLISECONDS);
        } else if (roll < CANCEL_SHARE + VIEWER_SHARE) {
            viewers.put(task.taskId(), SoakViewer.open(admin, task.taskId()));
        }
    }

    /**
     * Real Terraform: a {@code terraform_data} whose input changes every task (so every apply runs its provisioner)
     * and a {@code local-exec} printing {@code n} lines; the input also tells simulated agents how many to send.
     */
    static ObjectNode config(int n, int k) {
        ObjectNode root = WireJson.lenient().createObjectNode();
        ObjectNode run = root.putObject("resource").putObject("terraform_data").putObject("run");
        run.put("input", n + " lines, task " + k);
        run.putObject("provisioner").putObject("local-exec").put("command", "seq -f 'line %.0f' 1 " + n);
        return root;
    }

    static int linesOf(TaskAssignment task) {
        String input = task.tfJson().at("/resource/terraform_data/run/input").asText();
        return Integer.parseInt(input.substring(0, input.indexOf(' ')));
    }

    private void cancel(String taskId) {
        try {
            admin.post(ApiPaths.fill(ApiPaths.TASK_CANCEL, taskId), new CancelRequest(false), TaskView.class);
            cancels.incrementAndGet();
        } catch (RuntimeException e) {
            refused("cancel: " + code(e));
        }
    }

    private void pings(SimulatedAgent agent) {
        while (pulling) {
            agent.ping();
            sleep(SoakCluster.PING.toMillis());
        }
    }

    private void loop(SimulatedAgent agent) {
        while (pulling) {
            PullResponse r;
            try {
                r = agent.pull(new PullRequest(agent.agentId, 1, true, 10));
            } catch (RuntimeException e) {
                sleep(1_000);
                continue;
            }
            for (TaskAssignment task : r.tasks()) {
                claims.accept(new SoakInvariants.Claim(task.taskId(), task.attempt(), agent.name));
                try {
                    execute(agent, task);
                } catch (RuntimeException e) {
                    refused("attempt: " + code(e));
                    agent.letGo(task.taskId());
                }
            }
        }
    }

    /** As an agent runs it: phases, the lines in order (resending what a cut lost), the result. */
    private void execute(SimulatedAgent agent, TaskAssignment task) {
        ApiClient job = agent.api.withToken(task::jobToken);
        int n = linesOf(task);
        String taskId = task.taskId();
        retrying(() -> job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, taskId),
                new PhaseUpdate(task.attempt(), TaskPhase.PLANNING),
                Void.class));
        if (task.action() == TaskAction.PLAN_APPLY) {
            retrying(() -> job.post(
                    ApiPaths.fill(ApiPaths.TASK_PHASE, taskId),
                    new PhaseUpdate(task.attempt(), TaskPhase.APPLYING),
                    Void.class));
        }
        long committed = 0;
        while (committed < n) {
            long from = committed;
            LogAck ack = retrying(() -> job.post(
                    ApiPaths.fill(ApiPaths.TASK_LOGS, taskId),
                    new LogBatch(task.attempt(), from, lines.subList((int) from, (int) Math.min(n, from + BATCH))),
                    LogAck.class));
            linesOffered.addAndGet(Math.max(0, ack.committedLines() - from));
            committed = ack.committedLines();
        }
        retrying(() -> agent.succeed(task, n, null));
    }

    /**
     * Retries what a cut connection or a replica going away failed (transport errors, 5xx) for up to two minutes; a
     * refusal (4xx: the attempt moved on, the task was canceled) ends the attempt.
     */
    private static <T> T retrying(Supplier<T> call) {
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        while (true) {
            try {
                return call.get();
            } catch (ApiException e) {
                if (e.status() < 500 || System.nanoTime() > deadline) throw e;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) throw e;
            }
            sleep(500);
        }
    }

    private static String code(RuntimeException e) {
        return e instanceof ApiException api
                ? api.status() + " " + api.code()
                : e.getClass().getSimpleName();
    }

    private void refused(String what) {
        refusals.computeIfAbsent(what, w -> new AtomicInteger()).incrementAndGet();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String describeRefusals() {
        StringBuilder s = new StringBuilder();
        refusals.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> s.append(s.isEmpty() ? "" : ", ")
                        .append(String.format(
                                Locale.ROOT, "%s × %d", e.getKey(), e.getValue().get())));
        return s.isEmpty() ? "none" : s.toString();
    }

    /** Waits for the creations queued so far: the drain starts once every task of the run exists. */
    void stopCreating() throws InterruptedException {
        creators.shutdown();
        creators.awaitTermination(2, TimeUnit.MINUTES);
    }

    /** Stops pulling (each loop ends after its current pull and task), then deregisters the agents. */
    @Override
    public void close() throws InterruptedException {
        stopCreating();
        pulling = false;
        for (Thread t : loops) t.join(Duration.ofMinutes(3));
        scheduler.shutdownNow();
        try (ExecutorService leaving = Executors.newVirtualThreadPerTaskExecutor()) {
            agents.forEach(a -> leaving.submit(a::deregister));
        }
    }
}
