package io.iacrunner.bench;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.server.IacServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What plan_applies that must wait cost a pull: the same pulls, each claiming one plan, with no apply queued, then with
 * {@link #BLOCKED} plan_applies queued before the plans, each in a workspace of its own that a local Terraform run has
 * locked (the http backend's LOCK): every one is its workspace's next apply, and none may be claimed. The blocked
 * applies cannot be taken away again cheaply, so the two are measured one after the other, in one run.
 */
final class BlockedAppliesCost {
    static final int BLOCKED = 10_000;
    private static final int PULLS = 200;
    private static final int WARM_UP_PULLS = 20;

    private BlockedAppliesCost() {}

    /** One measurement: how many applies waited, and each timed pull's round trip. */
    record Run(int blocked, double[] pullMillis) {}

    static List<Run> measure(IacServer server, ApiClient admin) throws Exception {
        SimulatedAgent agent = SimulatedAgent.register(server, "blocked-puller");
        try {
            List<Run> runs = new ArrayList<>();
            runs.add(new Run(0, pulls(admin, agent, "blocked-none")));
            block(server, admin, BLOCKED);
            runs.add(new Run(BLOCKED, pulls(admin, agent, "blocked-behind")));
            return runs;
        } finally {
            agent.deregister();
        }
    }

    /**
     * Times {@link #PULLS} pulls (after an untimed few), each for one plan or an apply, each finding one plan queued;
     * the plan is queued and then reported done untimed, so every pull meets the same queue.
     */
    private static double[] pulls(ApiClient admin, SimulatedAgent agent, String workspace) {
        double[] millis = new double[PULLS];
        agent.ping();
        for (int i = -WARM_UP_PULLS; i < PULLS; i++) {
            String queued = BenchTasks.queue(admin, workspace, TaskAction.PLAN).taskId();
            long t0 = System.nanoTime();
            PullResponse r = agent.pull(new PullRequest(agent.agentId, 1, true, 0));
            long took = System.nanoTime() - t0;
            List<String> got = r.tasks().stream().map(TaskAssignment::taskId).toList();
            if (!got.equals(List.of(queued)))
                throw new IllegalStateException("pull claimed " + got + ", not the plan " + queued);
            agent.succeed(r.tasks().getFirst(), 0, null);
            if (i >= 0) millis[i] = took / 1e6;
        }
        return millis;
    }

    /** {@code count} workspaces, each with a plan_apply queued and a local Terraform run's lock (8 at a time). */
    private static void block(IacServer server, ApiClient admin, int count) throws Exception {
        String token = Files.readString(server.adminTokenFile()).trim();
        HttpClient http = HttpClient.newHttpClient();
        try (ExecutorService creators = Executors.newFixedThreadPool(8)) {
            List<Future<?>> made = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String workspace = "blocked-" + i;
                made.add(creators.submit(() -> {
                    BenchTasks.queue(admin, workspace, TaskAction.PLAN_APPLY);
                    HttpResponse<String> locked = http.send(
                            HttpRequest.newBuilder(URI.create(server.baseUrl()
                                            + ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_LOCK, workspace)))
                                    .header("Authorization", "Bearer " + token)
                                    .header("Content-Type", "application/json")
                                    .method("LOCK", HttpRequest.BodyPublishers.ofString(lockInfo(workspace)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (locked.statusCode() != 200)
                        throw new IllegalStateException(
                                "LOCK " + workspace + ": " + locked.statusCode() + " " + locked.body());
                    return null;
                }));
            }
            for (Future<?> f : made) f.get();
        }
        System.err.printf(Locale.ROOT, "claims: %,d plan_applies queued behind locked workspaces%n", count);
    }

    private static String lockInfo(String workspace) {
        return "{\"ID\":\"bench-" + workspace + "\",\"Operation\":\"OperationTypeApply\",\"Info\":\"\","
                + "\"Who\":\"bench@desk\",\"Version\":\"1.11.4\",\"Created\":\"2026-12-03T00:00:00Z\",\"Path\":\"\"}";
    }

    /** The section's table: a row per queue, and the ratio of their medians. */
    static String render(List<Run> runs) {
        StringBuilder s = new StringBuilder();
        s.append("\n### Pull time with plan_applies blocked behind locked workspaces\n\n")
                .append("One agent pulls ")
                .append(PULLS)
                .append(" times (after ")
                .append(WARM_UP_PULLS)
                .append(" untimed), each pull for one plan or an apply finding one plan queued (queued, and reported"
                        + " done, untimed): first with no plan_apply queued, then with ")
                .append(Samples.count(BLOCKED))
                .append(" queued before the plans, each in a workspace of its own that a local Terraform run has"
                        + " locked. Time: the pull's round trip through the API.\n\n")
                .append("| plan_applies blocked | pulls | median pull | fastest – slowest |\n|---|---:|---:|---:|\n");
        for (Run r : runs)
            s.append(Samples.timeRow(Samples.count(r.blocked()), Samples.of(r.pullMillis())))
                    .append("\n");
        double none = Samples.of(runs.getFirst().pullMillis()).median();
        double blocked = Samples.of(runs.getLast().pullMillis()).median();
        s.append("\nMedian pull with ")
                .append(Samples.count(BLOCKED))
                .append(" blocked / with none: **×")
                .append(Samples.ratio(blocked, none))
                .append("** (the goal: ×1.5 or less: an apply that must wait is never read by the claim).\n\n");
        return s.toString();
    }
}
