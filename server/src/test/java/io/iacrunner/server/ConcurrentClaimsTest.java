package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Fifty simulated agents, each with its own agent token, long-poll a real server (embedded PostgreSQL) and work off
 * 2,000 tasks queued while they wait. Judged twice: by what each agent saw (claims, its own running set) and by what
 * the store recorded (attempts, statuses, start and finish times).
 *
 * <p>Each agent forgets a finished task <em>before</em> it reports the result, so what it believes it runs is never
 * more than what the store says it runs, and it asks for every slot it believes free. Whenever its report and its
 * next pull race, only the server's own count of the agent's running tasks keeps it within the pool's limits.
 */
// Alone: it loads the machine with 50 agents on purpose.
@Isolated
class ConcurrentClaimsTest {
    private static final int AGENTS = 50;
    private static final int MAX_PLANS = 3;
    private static final int CREATORS = 4;
    private static final int APPLY_WORKSPACES = 20;
    private static final int APPLIES_PER_WORKSPACE = 20;
    private static final int PLANS_PER_APPLY = 4;
    private static final int PLAN_WORKSPACES = 100;
    private static final int TOTAL = APPLY_WORKSPACES * APPLIES_PER_WORKSPACE * (1 + PLANS_PER_APPLY);

    /** Everything the simulated agents saw, shared by all of them. */
    private final Map<String, List<String>> claimsByTask = new ConcurrentHashMap<>();

    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger reported = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void fiftyAgentsClaimEveryTaskOnceWithinThePoolLimitsAndApplyEachWorkspaceInOrder() throws Exception {
        // A 10 s ping interval (30 s lease): these agents ping every 2 s, so no lease can run out during the run.
        try (TestServer server = TestServer.start(Duration.ofSeconds(10))) {
            server.setPool("default-pool", MAX_PLANS, false);
            List<SimulatedAgent> agents = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) agents.add(new SimulatedAgent(server.registerAgent("sim-" + i)));

            ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
            pinger.scheduleWithFixedDelay(() -> agents.forEach(SimulatedAgent::ping), 0, 2, TimeUnit.SECONDS);
            ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
            List<Thread> pullers = new ArrayList<>();
            for (SimulatedAgent agent : agents) {
                pullers.add(Thread.ofPlatform().name("pull-" + agent.id()).start(() -> agent.pullLoop(work)));
            }
            long startNanos = System.nanoTime();
            try {
                // Queued while the agents already wait in their long polls. Each creator owns whole apply
                // workspaces, so "creation order" within a workspace is the order of one thread's calls.
                Map<String, List<String>> appliesInCreationOrder = new ConcurrentHashMap<>();
                List<Thread> creators = new ArrayList<>();
                for (int c = 0; c < CREATORS; c++) {
                    int creator = c;
                    creators.add(Thread.ofPlatform()
                            .name("create-" + c)
                            .start(() -> create(server, creator, appliesInCreationOrder)));
                }
                for (Thread t : creators) t.join();
                long createdNanos = System.nanoTime();

                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> reported.get() >= TOTAL || !violations.isEmpty());
                long doneNanos = System.nanoTime();
                System.out.printf(
                        "ConcurrentClaimsTest: %d tasks queued in %d ms, all reported after %d ms%n",
                        TOTAL, (createdNanos - startNanos) / 1_000_000, (doneNanos - startNanos) / 1_000_000);
                assertThat(violations).as("what the agents saw").isEmpty();

                stop.set(true);
                for (Thread t : pullers) t.join(Duration.ofSeconds(10));
                List<TaskView> tasks = allTasks(server, appliesInCreationOrder.keySet());
                judge(tasks, appliesInCreationOrder);
            } finally {
                stop.set(true);
                pinger.shutdownNow();
                work.shutdownNow();
            }
        }
    }

    private void create(TestServer server, int creator, Map<String, List<String>> appliesInCreationOrder) {
        var admin = server.admin();
        List<String> mine = new ArrayList<>();
        for (int w = creator; w < APPLY_WORKSPACES; w += CREATORS) mine.add("ws-apply-" + w);
        int plan = creator;
        for (int round = 0; round < APPLIES_PER_WORKSPACE; round++) {
            for (String ws : mine) {
                TaskView apply = admin.post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                ws, TaskAction.PLAN_APPLY, config(ws + "-" + round), null, null, null, null, null),
                        TaskView.class);
                appliesInCreationOrder
                        .computeIfAbsent(ws, k -> new ArrayList<>())
                        .add(apply.taskId());
                for (int p = 0; p < PLANS_PER_APPLY; p++, plan += CREATORS) {
                    // Most plans on workspaces of their own, every fifth beside the applies of an apply workspace.
                    String planWs = plan % 5 == 0
                            ? "ws-apply-" + (plan / 5) % APPLY_WORKSPACES
                            : "ws-plan-" + plan % PLAN_WORKSPACES;
                    admin.post(
                            ApiPaths.TASKS,
                            new CreateTaskRequest(
                                    planWs, TaskAction.PLAN, config("plan-" + plan), null, null, null, null, null),
                            TaskView.class);
                }
            }
        }
    }

    private static ObjectNode config(String input) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", input);
        return tf;
    }

    private static List<TaskView> allTasks(TestServer server, Set<String> applyWorkspaces) {
        List<String> workspaces = new ArrayList<>(applyWorkspaces);
        for (int i = 0; i < PLAN_WORKSPACES; i++) workspaces.add("ws-plan-" + i);
        List<TaskView> all = new ArrayList<>();
        for (String ws : workspaces) {
            TaskList list = server.admin().get(ApiPaths.TASKS + "?workspace=" + ws + "&limit=1000", TaskList.class);
            all.addAll(list.tasks());
        }
        return all;
    }

    private void judge(List<TaskView> tasks, Map<String, List<String>> appliesInCreationOrder) {
        assertThat(tasks).hasSize(TOTAL);
        assertThat(tasks).as("every task ends succeeded, on its first attempt").allSatisfy(t -> {
            assertThat(t.status()).as(t.taskId()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.attempt()).as(t.taskId()).isEqualTo(1);
        });

        Set<String> ids = tasks.stream().map(TaskView::taskId).collect(Collectors.toSet());
        assertThat(claimsByTask.keySet())
                .as("the agents claimed exactly the queued tasks")
                .isEqualTo(ids);
        Map<String, List<String>> claimedTwice = new TreeMap<>();
        claimsByTask.forEach((task, by) -> {
            if (by.size() != 1) claimedTwice.put(task, by);
        });
        assertThat(claimedTwice)
                .as("tasks claimed more than once (task -> agents)")
                .isEmpty();
        assertThat(tasks)
                .allSatisfy(t -> assertThat(t.agentId())
                        .as(t.taskId())
                        .isEqualTo(claimsByTask.get(t.taskId()).getFirst()));

        // From the store's own start and finish times: the pool's limits per agent...
        Map<String, List<TaskView>> byAgent = tasks.stream().collect(Collectors.groupingBy(TaskView::agentId));
        assertThat(byAgent.size()).as("agents that got work").isGreaterThan(AGENTS / 2);
        byAgent.forEach((agent, ran) -> {
            List<TaskView> plans =
                    ran.stream().filter(t -> t.action() == TaskAction.PLAN).toList();
            assertThat(maxOverlap(plans)).as("plans at once on " + agent).isLessThanOrEqualTo(MAX_PLANS);
            for (TaskView apply : ran) {
                if (apply.action() != TaskAction.PLAN_APPLY) continue;
                for (TaskView other : ran) {
                    if (other != apply) {
                        assertThat(overlaps(apply, other))
                                .as(
                                        "on %s, plan_apply %s [%s, %s] beside %s [%s, %s]",
                                        agent,
                                        apply.taskId(),
                                        apply.startedAt(),
                                        apply.finishedAt(),
                                        other.taskId(),
                                        other.startedAt(),
                                        other.finishedAt())
                                .isFalse();
                    }
                }
            }
        });

        // ...and per workspace, one plan_apply at a time, started in the order they were queued.
        Map<String, TaskView> byId = tasks.stream().collect(Collectors.toMap(TaskView::taskId, t -> t));
        appliesInCreationOrder.forEach((ws, created) -> {
            assertThat(created).hasSize(APPLIES_PER_WORKSPACE);
            List<TaskView> applies = created.stream().map(byId::get).toList();
            List<String> byStart = applies.stream()
                    .sorted(Comparator.comparing(TaskView::startedAt))
                    .map(TaskView::taskId)
                    .toList();
            assertThat(byStart).as("plan_applys of %s by start time", ws).containsExactlyElementsOf(created);
            for (int i = 1; i < applies.size(); i++) {
                TaskView before = applies.get(i - 1);
                TaskView after = applies.get(i);
                assertThat(after.startedAt())
                        .as("%s: %s started before %s finished", ws, after.taskId(), before.taskId())
                        .isAfterOrEqualTo(before.finishedAt());
            }
        });
    }

    private static boolean overlaps(TaskView a, TaskView b) {
        return a.startedAt().isBefore(b.finishedAt()) && b.startedAt().isBefore(a.finishedAt());
    }

    /** The largest number of tasks running at one instant; at equal instants a finish counts before a start. */
    private static int maxOverlap(List<TaskView> tasks) {
        record Event(Instant at, int delta) {}
        List<Event> events = new ArrayList<>();
        for (TaskView t : tasks) {
            events.add(new Event(t.startedAt(), 1));
            events.add(new Event(t.finishedAt(), -1));
        }
        events.sort(Comparator.comparing(Event::at).thenComparingInt(Event::delta));
        int running = 0;
        int max = 0;
        for (Event e : events) {
            running += e.delta();
            max = Math.max(max, running);
        }
        return max;
    }

    /** One agent: a pull loop that states its free capacity, and a short "run" per claimed task. */
    private final class SimulatedAgent {
        private final TestServer.RegisteredAgent registered;
        private final Object lock = new Object();
        private final Set<String> runningPlans = new HashSet<>();
        private String runningApply;

        SimulatedAgent(TestServer.RegisteredAgent registered) {
            this.registered = registered;
        }

        String id() {
            return registered.agentId();
        }

        void ping() {
            List<String> current;
            boolean apply;
            int plans;
            synchronized (lock) {
                current = new ArrayList<>(runningPlans);
                if (runningApply != null) current.add(runningApply);
                apply = runningApply != null;
                plans = runningPlans.size();
            }
            try {
                registered
                        .client()
                        .post(
                                ApiPaths.AGENT_PING,
                                new AgentPing(id(), !current.isEmpty(), plans, MAX_PLANS, apply, current, 0, 0, "test"),
                                PingReply.class);
            } catch (RuntimeException e) {
                if (!stop.get()) violations.add(id() + ": ping failed: " + e);
            }
        }

        void pullLoop(ExecutorService work) {
            try {
                while (!stop.get()) {
                    int free;
                    boolean canTakeApply;
                    synchronized (lock) {
                        while (!stop.get() && (runningApply != null || runningPlans.size() >= MAX_PLANS))
                            lock.wait(100);
                        free = MAX_PLANS - runningPlans.size();
                        canTakeApply = runningPlans.isEmpty();
                    }
                    if (stop.get()) return;
                    PullResponse reply = registered
                            .client()
                            .post(
                                    ApiPaths.TASK_PULL,
                                    new PullRequest(id(), free, canTakeApply, 1),
                                    PullResponse.class,
                                    Duration.ofSeconds(30));
                    List<TaskAssignment> claimed = reply.tasks() == null ? List.of() : reply.tasks();
                    admit(claimed, free, canTakeApply);
                    for (TaskAssignment task : claimed) work.submit(() -> run(task));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                if (!stop.get()) violations.add(id() + ": pull loop failed: " + e);
            }
        }

        private void admit(List<TaskAssignment> claimed, int free, boolean canTakeApply) {
            long plans =
                    claimed.stream().filter(t -> t.action() == TaskAction.PLAN).count();
            long applies = claimed.size() - plans;
            if (plans > free) violations.add(id() + ": got " + plans + " plans for " + free + " free slots");
            if (applies > 0 && (!canTakeApply || claimed.size() > 1)) {
                violations.add(id() + ": got a plan_apply it could not take, or beside other tasks: " + claimed);
            }
            synchronized (lock) {
                for (TaskAssignment t : claimed) {
                    claimsByTask
                            .computeIfAbsent(t.taskId(), k -> Collections.synchronizedList(new ArrayList<>()))
                            .add(id());
                    if (t.attempt() != 1)
                        violations.add(id() + ": " + t.taskId() + " handed out with attempt " + t.attempt());
                    if (t.action() == TaskAction.PLAN) {
                        runningPlans.add(t.taskId());
                    } else {
                        if (runningApply != null || !runningPlans.isEmpty()) {
                            violations.add(id() + ": plan_apply " + t.taskId() + " beside " + runningApply + " "
                                    + runningPlans);
                        }
                        runningApply = t.taskId();
                    }
                }
                if (runningPlans.size() > MAX_PLANS)
                    violations.add(id() + ": running " + runningPlans.size() + " plans");
                if (runningApply != null && !runningPlans.isEmpty()) {
                    violations.add(id() + ": plan_apply " + runningApply + " beside plans " + runningPlans);
                }
            }
        }

        private void run(TaskAssignment task) {
            try {
                // No pause: the result's round trip keeps the task running while the other agents claim.
                synchronized (lock) {
                    // Forgotten before the report: the agent's own view never holds more than the store's.
                    if (task.taskId().equals(runningApply)) runningApply = null;
                    runningPlans.remove(task.taskId());
                    lock.notifyAll();
                }
                TaskView done = registered
                        .job(task)
                        .post(
                                ApiPaths.fill(ApiPaths.TASK_RESULT, task.taskId()),
                                new TaskResult(task.attempt(), TaskStatus.SUCCEEDED, 0, null, 0, null),
                                TaskView.class);
                if (done.status() != TaskStatus.SUCCEEDED)
                    violations.add(task.taskId() + " reported but " + done.status());
                reported.incrementAndGet();
            } catch (RuntimeException e) {
                if (!stop.get()) violations.add(id() + ": result of " + task.taskId() + " failed: " + e);
            }
        }
    }
}
