package io.iacrunner.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.cli.Main;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The whole system in one test JVM: a real server on its own embedded PostgreSQL, real agents running the machine's
 * real Terraform, and the CLI driven through its in-process entry point exactly as a person types it.
 */
final class E2eHarness implements AutoCloseable {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");

    record CliResult(int exit, String out, String err) {}

    final TestServer server;
    final Path dir;
    private final List<Agent> agents = new ArrayList<>();

    E2eHarness(Path dir) {
        this.dir = dir;
        this.server = TestServer.start();
    }

    static Path terraform() {
        Path found = Stream.concat(
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(p -> Path.of(p, "terraform")),
                        Stream.of(Path.of("/usr/local/bin/terraform")))
                .filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(found != null, "Terraform is not installed here: end-to-end tests need a real terraform on PATH");
        return found;
    }

    Agent startAgent(String name) throws IOException {
        Path work = Files.createDirectories(dir.resolve("agent-" + name));
        Agent agent = new Agent(AgentConfig.of(server.baseUrl(), server.server().agentTokenFile())
                .withName(name).withWorkDir(work).withTerraform(terraform()).withPullWait(Duration.ofSeconds(5)));
        agent.start();
        agents.add(agent);
        return agent;
    }

    CliResult cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.baseUrl().toString(), "--token-file", server.server().adminTokenFile().toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                all.toArray(String[]::new));
        return new CliResult(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    String createTask(String workspace, String action, String configJson) throws IOException {
        Path config = file("config-" + System.nanoTime() + ".tf.json", configJson);
        CliResult r = cli("task", "create", "--workspace", workspace, "--action", action, "--config", config.toString());
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
        Matcher m = Pattern.compile("\\(local-exec\\): line (\\d+)$", Pattern.MULTILINE).matcher(plain(log));
        List<Integer> numbers = new ArrayList<>();
        while (m.find()) numbers.add(Integer.parseInt(m.group(1)));
        return numbers;
    }

    /** A configuration whose apply prints {@code count} numbered lines, {@code delay} seconds apart. */
    static String printingConfig(int count, String delay) {
        String command = "for i in $(seq 1 " + count + "); do echo \\\"line $i\\\"; " + (delay == null ? "" : "sleep " + delay + "; ") + "done";
        return "{\"resource\":{\"terraform_data\":{\"lines\":{\"input\":\"" + count + "\",\"provisioner\":{\"local-exec\":{\"command\":\""
                + command + "\"}}}}}}";
    }

    @Override
    public void close() {
        agents.forEach(Agent::close);
        server.close();
    }
}
