package io.iacrunner.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.cli.Main;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * The whole system in one test JVM: a real server on its own embedded PostgreSQL, real agents running the machine's
 * real Terraform, and the CLI driven through its in-process entry point exactly as a person types it.
 */
final class E2eHarness implements AutoCloseable {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");

    record CliResult(int exit, String out, String err) {}

    final TestServer server;
    final Path dir;
    /** See {@link #shared()}. */
    private final Path shared;

    private final List<Agent> agents = new ArrayList<>();
    private final List<AgentProcess> agentProcesses = new ArrayList<>();
    private final List<Path> workDirs = new ArrayList<>();

    E2eHarness(Path dir) {
        this(dir, Duration.ofSeconds(1));
    }

    /** With the server's ping interval (the lease is three of them). */
    E2eHarness(Path dir, Duration pingInterval) {
        this(dir, c -> c.pingInterval(pingInterval));
    }

    /** With the server's configuration adjusted by {@code adjust} (the lease is three ping intervals unless it sets one). */
    E2eHarness(Path dir, UnaryOperator<ServerConfig.Builder> adjust) {
        this.dir = dir;
        try {
            this.shared = Files.createDirectories(dir.resolve("shared-with-runs"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.server = TestServer.start(adjust);
    }

    /** The production timings: the default ping interval, the default lease and lost-apply window. */
    static ServerConfig.Builder productionTimings(ServerConfig.Builder config) {
        ServerConfig defaults = ServerConfig.defaults();
        return config.pingInterval(defaults.pingInterval())
                .leases(new ServerConfig.Leases(
                        defaults.lease(), defaults.leases().lostApply()));
    }

    /**
     * Files a test shares with the runs it starts (a gate file a provisioner waits for): every agent of this harness
     * shows it read-only in its sandboxes ({@code --sandbox-read-only}), which see nothing else of the test's
     * directory.
     */
    Path shared() {
        return shared;
    }

    static Path terraform() {
        Path found = Stream.concat(
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                                .map(p -> Path.of(p, "terraform")),
                        Stream.of(Path.of("/usr/local/bin/terraform")))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        assumeTrue(found != null, "Terraform is not installed here: end-to-end tests need a real terraform on PATH");
        return found;
    }

    Agent startAgent(String name) throws IOException {
        return startAgent(name, config -> config);
    }

    /** An agent in this JVM, its configuration adjusted by {@code adjust} (say, a short cancel grace). */
    Agent startAgent(String name, UnaryOperator<AgentConfig.Builder> adjust) throws IOException {
        Path work = workDir(name);
        Agent agent = new Agent(adjust.apply(
                        AgentConfig.builder(server.baseUrl(), server.server().agentTokenFile())
                                .name(name)
                                .workDir(work)
                                .terraform(terraform())
                                .pullWait(Duration.ofSeconds(5))
                                // Fixed slots: the machine's load (other builds) must not change what a test claims.
                                .adaptive(false)
                                .sandboxReadOnly(List.of(shared)))
                .build());
        agent.start();
        agents.add(agent);
        return agent;
    }

    /** The work directory of the agent called {@code name} (created on first use). */
    Path workDir(String name) throws IOException {
        Path work = Files.createDirectories(dir.resolve("agent-" + name));
        if (!workDirs.contains(work)) workDirs.add(work);
        return work;
    }

    /** An agent in a child JVM that a test can kill for real. */
    record AgentProcess(String name, String agentId, Process process, Path workDir, Path log) {
        /**
         * SIGKILL: no shutdown hook runs, nothing is reported. Its sandboxes die with it; with {@code --isolation
         * none} its Terraform and what that started keep running.
         */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS))
                throw new AssertionError("agent JVM " + process.pid() + " survived SIGKILL");
        }
    }

    /**
     * Starts {@code ./iac agent --server URL --token-file <the server's agent.token> --name NAME --work-dir DIR
     * <extraArgs>} as a child JVM with this JVM's class path, and waits until the server lists it.
     */
    AgentProcess startAgentProcess(String name, String... extraArgs) throws IOException {
        return startAgentProcess(name, server.baseUrl(), extraArgs);
    }

    /** As {@link #startAgentProcess(String, String...)}, reaching the server at {@code serverUrl} (a proxy, say). */
    AgentProcess startAgentProcess(String name, java.net.URI serverUrl, String... extraArgs) throws IOException {
        return startAgentProcess(name, serverUrl, Map.of(), extraArgs);
    }

    /** As {@link #startAgentProcess(String, java.net.URI, String...)}, with {@code env} added to the agent's environment. */
    AgentProcess startAgentProcess(String name, java.net.URI serverUrl, Map<String, String> env, String... extraArgs)
            throws IOException {
        Path work = workDir(name);
        Path log = dir.resolve("agent-" + name + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "agent",
                "--server",
                serverUrl.toString(),
                "--token-file",
                server.server().agentTokenFile().toString(),
                "--name",
                name,
                "--work-dir",
                work.toString(),
                "--sandbox-read-only",
                shared.toString()));
        command.addAll(List.of(extraArgs));
        if (!List.of(extraArgs).contains("--terraform"))
            command.addAll(List.of("--terraform", terraform().toString()));
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        AgentProcess started = new AgentProcess(name, null, process, work, log);
        agentProcesses.add(started);
        String agentId = Awaitility.await("agent " + name + " registered")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            if (!process.isAlive())
                                throw new AssertionError("agent " + name + " exited: " + Files.readString(log));
                            return server.admin().get(ApiPaths.AGENTS, AgentList.class).agents().stream()
                                    .filter(a ->
                                            a.name().equals(name) && !a.status().equals("offline"))
                                    .map(AgentView::agentId)
                                    .findFirst();
                        },
                        Optional::isPresent)
                .orElseThrow();
        AgentProcess registered = new AgentProcess(name, agentId, process, work, log);
        agentProcesses.set(agentProcesses.indexOf(started), registered);
        return registered;
    }

    /** The task's whole stored log as text. */
    String logText(String taskId) {
        return server.admin().getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, taskId));
    }

    WorkspaceView workspace(String workspaceId) {
        return server.workspace(workspaceId);
    }

    CliResult cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(
                "--server",
                server.baseUrl().toString(),
                "--token-file",
                server.server().adminTokenFile().toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                all.toArray(String[]::new));
        return new CliResult(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    String createTask(String workspace, String action, String configJson) throws IOException {
        Path config = file("config-" + System.nanoTime() + ".tf.json", configJson);
        CliResult r =
                cli("task", "create", "--workspace", workspace, "--action", action, "--config", config.toString());
        if (r.exit() != 0) throw new AssertionError("task create failed: " + r);
        return r.out().trim();
    }

    TaskView show(String taskId) throws IOException {
        CliResult r = cli("task", "show", taskId, "--json");
        if (r.exit() != 0) throw new AssertionError("task show failed: " + r);
        return WireJson.lenient().readValue(r.out(), TaskView.class);
    }

    static String plain(String text) {
        return ANSI.matcher(text).replaceAll("");
    }

    /** The numbers N of lines "... (local-exec): line N", in the order they appear. */
    static List<Integer> numberedLines(String log) {
        Matcher m = Pattern.compile("\\(local-exec\\): line (\\d+)$", Pattern.MULTILINE)
                .matcher(plain(log));
        List<Integer> numbers = new ArrayList<>();
        while (m.find()) numbers.add(Integer.parseInt(m.group(1)));
        return numbers;
    }

    /**
     * The provisioner printed "line 1" … "line {@code count}" (each followed by {@code suffix}): all of it must be in
     * {@code lines}, once and in order, on lines Terraform marks "(local-exec): ".
     *
     * <p>The text is compared, not the lines one by one, because Terraform itself may cut a provisioner's line in two:
     * its line reader (go-linereader) sends what it has as a line when the next byte is 100 ms late, which happens on
     * a busy machine, and it trims the trailing blanks of each piece. Each piece has the "(local-exec): " prefix of its
     * own, so the pieces, blanks left out, still add up to the text. A line cut by the agent or the server would leave
     * a piece without the prefix, and a line lost, doubled or moved changes the text, so this is as strict about
     * iac-runner as a line-by-line comparison.
     */
    private static final Pattern BLANKS = Pattern.compile("\\s+");

    static void assertProvisionerPrinted(List<String> lines, int count, String suffix, String what) {
        String prefix = "(local-exec): ";
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= count; i++) expected.append("line").append(i).append(suffix.strip());
        StringBuilder printed = new StringBuilder();
        List<int[]> pieces = new ArrayList<>(); // per piece: where it starts in printed, its index in lines
        for (int i = 0; i < lines.size(); i++) {
            String line = plain(lines.get(i));
            int at = line.indexOf(prefix);
            if (at < 0 || line.startsWith("Executing: ", at + prefix.length())) continue;
            String text = BLANKS.matcher(line.substring(at + prefix.length())).replaceAll("");
            pieces.add(new int[] {printed.length(), i});
            printed.append(text);
        }
        if (printed.toString().contentEquals(expected)) {
            if (pieces.size() != count) {
                System.out.println("E2eHarness: " + what + ": Terraform printed the " + count + " provisioner lines as "
                        + pieces.size() + " lines");
            }
            return;
        }
        int diff = 0;
        while (diff < Math.min(printed.length(), expected.length()) && printed.charAt(diff) == expected.charAt(diff))
            diff++;
        String expectedThere = expected.substring(Math.max(0, diff - 20), Math.min(expected.length(), diff + 40));
        int line = -1;
        for (int[] piece : pieces) if (piece[0] <= diff) line = piece[1];
        throw new AssertionError(
                what + ": the provisioner's output (blanks left out) differs from what it printed at character " + diff
                        + " (expected \"…" + expectedThere + "…\"; " + printed.length() + " characters found, "
                        + expected.length()
                        + " expected)" + (line >= 0 ? "; around it:\n" + around(lines, line) : ""));
    }

    private static String around(List<String> lines, int index) {
        StringBuilder out = new StringBuilder();
        for (int i = Math.max(0, index - 4); i < Math.min(lines.size(), index + 3); i++) {
            String line = plain(lines.get(i));
            out.append("  [")
                    .append(i)
                    .append("] ")
                    .append(line.length() > 160 ? line.substring(0, 160) + "…(" + line.length() + " chars)" : line)
                    .append('\n');
        }
        return out.toString();
    }

    /** A configuration whose apply prints {@code count} numbered lines, {@code delay} seconds apart. */
    static String printingConfig(int count, String delay) {
        String command = "for i in $(seq 1 " + count + "); do echo \\\"line $i\\\"; "
                + (delay == null ? "" : "sleep " + delay + "; ") + "done";
        return "{\"resource\":{\"terraform_data\":{\"lines\":{\"input\":\"" + count
                + "\",\"provisioner\":{\"local-exec\":{\"command\":\"" + command + "\"}}}}}}";
    }

    /**
     * A configuration whose apply runs {@code command} in a {@code local-exec} provisioner with {@code
     * IAC_TEST_MARKER=<marker>} in its environment, so {@link TaskProcesses} finds every process it starts.
     */
    static String localExecConfig(String marker, String command) {
        com.fasterxml.jackson.databind.node.ObjectNode root = WireJson.lenient().createObjectNode();
        var resource = root.putObject("resource").putObject("terraform_data").putObject("run");
        resource.put("input", marker);
        var exec = resource.putObject("provisioner").putObject("local-exec");
        exec.put("command", command);
        exec.putObject("environment").put("IAC_TEST_MARKER", marker);
        return root.toString();
    }

    /**
     * A test double for Terraform: a shell script called {@code name} in the test's directory that runs {@code
     * before} and then the real Terraform with the same arguments ({@code exec}, or as a child when {@code exec} is
     * false, so that the script's own process stays in between).
     */
    Path terraformDouble(String name, String before, boolean exec) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(
                script,
                "#!/bin/sh\n# Test double (" + name + "): see the test that writes it.\n" + before + "\n"
                        + (exec ? "exec " : "") + "'" + terraform() + "' \"$@\"\n");
        script.toFile().setExecutable(true);
        return script;
    }

    /**
     * Kills the child agents, then whatever their tasks left running (an unsandboxed agent killed with SIGKILL leaves
     * its Terraform and that one's children behind), then stops the agents in this JVM and the server.
     */
    @Override
    public void close() {
        for (AgentProcess p : agentProcesses) {
            p.process().descendants().forEach(ProcessHandle::destroyForcibly);
            p.process().destroyForcibly();
            try {
                p.process().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Path work : workDirs) {
            List<TaskProcesses.Found> killed = TaskProcesses.kill(work, null);
            if (!killed.isEmpty()) System.err.println("E2eHarness: killed leftovers under " + work + ": " + killed);
        }
        try {
            agents.forEach(Agent::close);
        } finally {
            server.close();
        }
    }
}
