package io.iacrunner.cli;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description = {
            "Run the server on the embedded PostgreSQL plus one local agent, in one process.",
            "Ctrl-C stops the agent first, then the server.",
        })
public final class DevCommand implements Callable<Integer> {
    /** A tiny offline configuration the "try this" commands use: terraform_data + local-exec, no provider download. */
    static final String EXAMPLE_CONFIG = """
            {
              "resource": {
                "terraform_data": {
                  "hello": {
                    "input": "hello from iac-runner",
                    "provisioner": [
                      { "local-exec": { "command": "echo hello from iac-runner" } }
                    ]
                  }
                }
              },
              "output": {
                "greeting": { "value": "${terraform_data.hello.output}" }
              }
            }
            """;

    private final CliContext ctx;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8080",
            description = "Port to listen on; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = ".iac-data",
            description = "Tokens, the embedded database and the agent's work dirs (default ${DEFAULT-VALUE}).")
    Path dataDir;

    public DevCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        Ports.check(port, "--port");
        Path data = ctx.resolve(dataDir);
        // Before the server answers: whoever polls /healthz to know when to start may use the example at once.
        Path example = writeExample(data);
        IacServer server;
        try {
            // A store lost for good ends the process like Ctrl-C, with status 5: the agent (whose tasks cannot report
            // now; its spool keeps their lines for the next start) and then the server are stopped by the hook below.
            server = IacServer.start(
                    ServerConfig.builder().port(port).dataDir(data).build(), reason -> Fatal.exit(ctx, reason));
        } catch (RuntimeException e) {
            throw new StartupException("the server could not start", e);
        }
        Path agentWork = data.resolve("agent-work");
        // The README's first command must work on a fresh machine: without bubblewrap the local agent runs
        // unsandboxed, and the banner says so.
        String noSandbox = Agent.sandboxProblem(agentWork).orElse(null);
        AgentConfig agentConfig = AgentConfig.builder(server.baseUrl(), server.agentTokenFile())
                .name("dev-agent")
                .workDir(agentWork)
                .isolation(noSandbox == null ? Isolation.SANDBOX : Isolation.NONE)
                // A laptop's disk may be nearly full: the tour's runs need little, so only a truly full disk stops
                // them.
                .minFreeDisk(32L * 1024 * 1024)
                .build();
        Agent agent;
        try {
            agent = new Agent(agentConfig);
            agent.start();
        } catch (RuntimeException e) {
            server.close();
            throw new StartupException("the local agent could not start", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                // The agent first, so its running tasks can still report to a live server.
                                Shutdown.bounded("agent", Agent.closeLimit(agentConfig), agent::close);
                                Shutdown.bounded("server", Shutdown.SERVER_LIMIT, server::close);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "iac-dev-shutdown"));
        printBanner(ctx.out(), server, agent.agentId(), example, noSandbox);
        stopped.await();
        return ExitCodes.OK;
    }

    private Path writeExample(Path data) {
        Path example = data.resolve("examples").resolve("hello.tf.json");
        try {
            Files.createDirectories(example.getParent());
            if (!Files.exists(example)) Files.writeString(example, EXAMPLE_CONFIG, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + example, e);
        }
        return example;
    }

    private void printBanner(PrintStream out, IacServer server, String agentId, Path example, String noSandbox) {
        out.println("iac dev is running: server + embedded PostgreSQL + one local agent (" + agentId + ")");
        for (String line : sandboxWarning(noSandbox)) out.println(line);
        out.println("  server URL:   " + server.baseUrl());
        out.println("  web UI:       " + server.baseUrl().resolve("/") + "   (sign in with the admin token below)");
        out.println("  admin token:  " + server.adminTokenFile());
        out.println("  agent token:  " + server.agentTokenFile());
        out.println("  health:       curl " + server.baseUrl().resolve("/healthz"));
        out.println();
        out.println("Try this from another terminal in " + ctx.cwd() + ":");
        for (String line : tryThis(server.baseUrl(), server.adminTokenFile(), example)) out.println("  " + line);
        out.println();
        out.println("Ctrl-C stops the agent, then the server.");
        out.flush();
    }

    /** The banner's warning when the local agent could not get its sandbox (none when it did). */
    static List<String> sandboxWarning(String noSandbox) {
        if (noSandbox == null) return List.of();
        return List.of(
                "",
                "  WARNING: the local agent runs WITHOUT a task sandbox (--isolation none): " + Agent.noSandboxWarning()
                        + ".",
                "  Why: " + noSandbox,
                "  Fine for trying iac-runner with your own configurations; do not run others' code on this agent.",
                "");
    }

    /** The tour's commands, which work as printed from the current directory, flags added only where defaults would miss. */
    List<String> tryThis(URI baseUrl, Path adminToken, Path example) {
        String iac = launcher();
        List<String> flags = new ArrayList<>();
        String url = baseUrl.toString().replaceAll("/$", "");
        String defaultServer = ctx.env("IAC_SERVER") != null
                ? ctx.env("IAC_SERVER").replaceAll("/$", "")
                : ClientOptions.DEFAULT_SERVER;
        if (!url.equals(defaultServer)) flags.add("--server " + url);
        boolean tokenFromEnv = ctx.env("IAC_TOKEN_FILE") != null || ctx.env("IAC_TOKEN") != null;
        if (tokenFromEnv
                || !ctx.resolve(Tokens.DEFAULT_TOKEN_FILE)
                        .equals(adminToken.toAbsolutePath().normalize())) {
            flags.add("--token-file " + shown(adminToken));
        }
        String common = flags.isEmpty() ? "" : " " + String.join(" ", flags);
        // The dev server's workspaces are created without auto-apply (the server's default), so the plan_apply stops
        // planned: the first follow ends there (exit 6), the confirm queues its apply, the second follow shows it.
        return List.of(
                "ID=$(" + iac + " task create --workspace demo --action plan_apply --config " + shown(example) + common
                        + ")",
                iac + " logs \"$ID\" --follow" + common + "    # stops after the plan: it waits for confirmation",
                iac + " task confirm \"$ID\"" + common,
                iac + " logs \"$ID\" --follow" + common,
                iac + " state show demo" + common);
    }

    /** {@code ./iac} when run from the repository root (the launcher exports IAC_HOME), else its absolute path. */
    private String launcher() {
        String home = ctx.env("IAC_HOME");
        if (home == null) return "./iac";
        Path root = Path.of(home).toAbsolutePath().normalize();
        return root.equals(ctx.cwd().toAbsolutePath().normalize())
                ? "./iac"
                : root.resolve("iac").toString();
    }

    private String shown(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path cwd = ctx.cwd().toAbsolutePath().normalize();
        String text = absolute.startsWith(cwd) ? cwd.relativize(absolute).toString() : absolute.toString();
        return text.matches("[A-Za-z0-9_./@%+=:,-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }
}
