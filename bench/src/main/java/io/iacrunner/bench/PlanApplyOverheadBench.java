package io.iacrunner.bench;

import static io.iacrunner.bench.Samples.ms;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the platform adds to a small plan_apply: the same configuration applied by the same Terraform by hand ({@code
 * init}, {@code plan -out}, {@code apply} of that plan in a fresh directory) and as a task run by a real agent that
 * long-polls an embedded server, from created to finished as the server records it. Rounds alternate the two.
 */
final class PlanApplyOverheadBench {
    static final String NAME = "plan-apply-overhead";
    private static final Duration RUN_WITHIN = Duration.ofMinutes(5);
    private static final Duration POLL_EVERY = Duration.ofMillis(50);

    private PlanApplyOverheadBench() {}

    record Options(int rounds, Path terraform, Path doc) {
        static Options parse(List<String> args, Path defaultDoc) {
            int rounds = 10;
            Path terraform = null;
            Path doc = defaultDoc;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--rounds" -> rounds = Integer.parseInt(args.get(++i));
                    case "--terraform" -> terraform = Path.of(args.get(++i));
                    case "--doc" -> doc = Path.of(args.get(++i));
                    case "--no-doc" -> doc = null;
                    default -> throw new IllegalArgumentException("unknown option " + args.get(i));
                }
            }
            if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1");
            return new Options(rounds, terraform != null ? terraform : LogLatencyBench.findTerraform(), doc);
        }
    }

    enum Mode {
        BY_HAND(
                "Terraform by hand",
                "`terraform init`, `terraform plan -out=tfplan` and `terraform apply tfplan` (each with"
                        + " `-input=false -no-color`) as processes in a fresh directory holding the configuration,"
                        + " timed from the first start to the last exit"),
        PLATFORM(
                "plan_apply through the platform",
                "`POST /api/v1/tasks` of a plan_apply on a new workspace (applied without review), run by one real"
                        + " agent (`Agent`, long-polling, its default isolation) on the same machine; from the task's"
                        + " `created_at` to its `finished_at` as the server records them, which includes the claim, the"
                        + " sandbox, Terraform's three commands, the plan's summary, log shipping, the state upload and"
                        + " the result");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    static void run(Options o) throws Exception {
        Instant started = Instant.now();
        String loadAtStart = BenchEnv.loadAverage();
        Path data = BenchEnv.tempDir(NAME);
        Map<Mode, List<Double>> millis = new EnumMap<>(Mode.class);
        try (IacServer server = IacServer.start(ServerConfig.builder()
                .port(0)
                .dataDir(data)
                .autoApplyDefault(true)
                .build())) {
            String adminToken = Files.readString(server.adminTokenFile()).trim();
            ApiClient admin = new ApiClient(server.baseUrl(), () -> adminToken);
            Agent agent = new Agent(AgentConfig.builder(server.baseUrl(), server.agentTokenFile())
                    .name("bench-overhead")
                    .workDir(Files.createDirectories(data.resolve("agent")))
                    .terraform(o.terraform())
                    .build());
            try {
                agent.start();
                // Uncounted: Terraform's files in the page cache, the JIT of server and agent warm.
                byHand(o.terraform(), data, -1);
                throughPlatform(admin, -1);
                for (int r = 0; r < o.rounds(); r++) {
                    for (Mode mode :
                            r % 2 == 0 ? List.of(Mode.BY_HAND, Mode.PLATFORM) : List.of(Mode.PLATFORM, Mode.BY_HAND)) {
                        double took = mode == Mode.BY_HAND ? byHand(o.terraform(), data, r) : throughPlatform(admin, r);
                        millis.computeIfAbsent(mode, m -> new ArrayList<>()).add(took);
                        System.err.printf(Locale.ROOT, "%s: round %d %-32s %s%n", NAME, r + 1, mode.label, ms(took));
                    }
                }
            } finally {
                agent.close();
                agent.awaitTermination();
            }
        } finally {
            BenchEnv.deleteTree(data);
        }
        BenchmarkDoc.publish(o.doc(), NAME, render(millis, o, Duration.between(started, Instant.now()), loadAtStart));
    }

    /** A configuration Terraform applies offline, different each round so every apply creates something. */
    static ObjectNode config(int round) {
        ObjectNode root = WireJson.lenient().createObjectNode();
        root.putObject("resource")
                .putObject("terraform_data")
                .putObject("marker")
                .put("input", "round-" + round);
        root.putObject("output").putObject("marker").put("value", "${terraform_data.marker.output}");
        return root;
    }

    private static double byHand(Path terraform, Path data, int round) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(data.resolve("by-hand-" + (round + 1)));
        Files.writeString(dir.resolve("main.tf.json"), WireJson.lenient().writeValueAsString(config(round)));
        long t0 = System.nanoTime();
        terraform(terraform, dir, "init", "-input=false", "-no-color");
        terraform(terraform, dir, "plan", "-input=false", "-no-color", "-out=tfplan");
        terraform(terraform, dir, "apply", "-input=false", "-no-color", "tfplan");
        double took = (System.nanoTime() - t0) / 1e6;
        BenchEnv.deleteTree(dir);
        return took;
    }

    private static void terraform(Path terraform, Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(terraform.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("terraform.log").toFile())
                .start();
        if (!p.waitFor(RUN_WITHIN.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("terraform " + args[0] + " failed in " + dir + ": "
                    + Files.readString(dir.resolve("terraform.log")));
        }
    }

    private static double throughPlatform(ApiClient admin, int round) throws InterruptedException {
        TaskView task = admin.post(
                ApiPaths.TASKS,
                new CreateTaskRequest(
                        "bench-overhead-" + (round + 1),
                        TaskAction.PLAN_APPLY,
                        config(round),
                        null,
                        null,
                        null,
                        null,
                        null),
                TaskView.class);
        Instant deadline = Instant.now().plus(RUN_WITHIN);
        while (!task.status().isTerminal()) {
            if (Instant.now().isAfter(deadline))
                throw new IllegalStateException("task " + task.taskId() + " not finished within " + RUN_WITHIN);
            Thread.sleep(POLL_EVERY);
            task = admin.get(ApiPaths.fill(ApiPaths.TASK, task.taskId()), TaskView.class);
        }
        if (task.status() != TaskStatus.SUCCEEDED)
            throw new IllegalStateException(
                    "task " + task.taskId() + " ended " + task.status().wireName() + ": " + task.message());
        return Duration.between(task.createdAt(), task.finishedAt()).toNanos() / 1e6;
    }

    private static String render(Map<Mode, List<Double>> millis, Options o, Duration took, String loadAtStart) {
        Map<Mode, Samples> samples = new EnumMap<>(Mode.class);
        millis.forEach((m, list) -> samples.put(m, Samples.of(list)));
        StringBuilder s = new StringBuilder();
        s.append("## plan-apply-overhead: a small plan_apply through the platform vs Terraform by hand\n\n");
        s.append(
                        "Command: `bench/run plan-apply-overhead`. The same configuration (one `terraform_data` resource and an")
                .append(" output, different in every round), ")
                .append(o.rounds())
                .append(" rounds alternating which mode goes first, after one uncounted pass of each, terraform `")
                .append(o.terraform())
                .append("`:\n\n");
        for (Mode m : Mode.values())
            s.append("- **")
                    .append(m.label)
                    .append("**: ")
                    .append(m.description)
                    .append(".\n");
        s.append("\n| mode | rounds | median | fastest – slowest |\n|---|---:|---:|---:|\n");
        for (Mode m : Mode.values())
            s.append(Samples.timeRow(m.label, samples.get(m))).append('\n');
        double overhead =
                samples.get(Mode.PLATFORM).median() - samples.get(Mode.BY_HAND).median();
        s.append("\nPlatform overhead (difference of the medians): **")
                .append(ms(overhead))
                .append("** (the goal, issue 20: 0.3 s or less).\n\n");
        s.append(BenchEnv.runFooter(took, "The server, its embedded PostgreSQL, the agent and Terraform", loadAtStart));
        return s.toString();
    }
}
