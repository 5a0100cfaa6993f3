package io.iacrunner.cli;

import io.iacrunner.agent.Agent;
import io.iacrunner.agent.AgentConfig;
import io.iacrunner.agent.terraform.ReleaseMirror;
import io.iacrunner.agent.terraform.TerraformProduct;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.Transport;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        description = {
            "Run a pull-mode agent: it registers with the pool token (waiting while the server",
            "is unreachable), then pulls and runs tasks; it only makes outbound requests.",
            "SIGTERM or SIGINT stops pulling at once, lets the running tasks finish for up to",
            "--drain-timeout, cancels what is left and waits until each has reported, then",
            "deregisters. When no ping reaches the server, the running tasks go on: their logs",
            "are spooled and, with their results and states, delivered once a server answers.",
            "With --single it takes one task, runs it, reports it, deregisters and exits 0.",
        })
public final class AgentCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(
            names = "--server",
            paramLabel = "URL[,URL...]",
            description =
                    "Server base URL (env IAC_SERVER; default " + ClientOptions.DEFAULT_SERVER + "); several replicas"
                            + " comma-separated: the agent uses one and moves to the next when it fails or shuts down.")
    String server;

    @Mixin
    TransportOptions transport;

    @Option(
            names = "--token-file",
            required = true,
            paramLabel = "FILE",
            description = "The pool token file (the server prints its path: agent.token in its data dir).")
    Path tokenFile;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "Agent name shown by 'iac agents' (default: host name).")
    String name;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description = "Parent of the per-task directories (default: a temp dir).")
    Path workDir;

    @Option(names = "--terraform", paramLabel = "PATH", description = "Terraform binary (default: terraform on PATH).")
    Path terraform;

    @Option(
            names = "--max-plans",
            paramLabel = "N",
            description = "Hard cap on parallel plans, below the pool's limit (default: the pool's); the adaptive"
                    + " slots never exceed it.")
    Integer maxPlans;

    @Option(
            names = "--adaptive",
            paramLabel = "true|false",
            arity = "1",
            defaultValue = "true",
            description = "Adapt the plan slots to this agent's CPU and memory pressure (its container's limits when"
                    + " it runs in one), between 1 and the plan limit: fewer new plans while the load is high, more as"
                    + " it falls; running plans are never stopped (default ${DEFAULT-VALUE}). false keeps the limit.")
    boolean adaptive;

    @Option(
            names = "--min-free-disk",
            paramLabel = "MIB",
            defaultValue = "256",
            description = "Claim nothing while the work directory or the spool has less than this much free space, and"
                    + " say so in pings ('iac agents' shows 'disk full'); 0 never stops (default ${DEFAULT-VALUE}).")
    long minFreeDiskMib;

    @Option(
            names = "--drain-timeout",
            paramLabel = "SECONDS",
            defaultValue = "300",
            description =
                    "On SIGTERM, how long running tasks may go on before they are canceled; 0 cancels at once (default ${DEFAULT-VALUE}).")
    long drainTimeoutSeconds;

    @Option(
            names = "--cancel-grace",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description =
                    "On cancel, time between SIGINT and killing Terraform's process tree (default ${DEFAULT-VALUE}).")
    long cancelGraceSeconds;

    @Option(
            names = "--terraform-version",
            paramLabel = "V",
            description =
                    "The version a task runs when it names none (found in --versions-dir or on PATH, else installed"
                            + " from the mirror); without it such tasks run --terraform as it is.")
    String defaultVersion;

    @Option(
            names = "--versions-dir",
            paramLabel = "DIR",
            description = "Installed Terraform versions (default: <work-dir>/versions).")
    Path versionsDir;

    @Option(names = "--tofu", description = "Run OpenTofu (tofu) instead of Terraform for tasks that name a version.")
    boolean tofu;

    @Option(
            names = "--terraform-mirror",
            paramLabel = "URL",
            description =
                    "Where Terraform releases are downloaded from, laid out like https://releases.hashicorp.com (the default).")
    String terraformMirror;

    @Option(
            names = "--tofu-mirror",
            paramLabel = "URL",
            description =
                    "Where OpenTofu releases are downloaded from; {version} in the URL names a release's directory"
                            + " (default: OpenTofu's GitHub releases).")
    String tofuMirror;

    @Option(
            names = "--isolation",
            paramLabel = "sandbox|none",
            defaultValue = "sandbox",
            description =
                    "How tasks are kept from the agent and from each other (default ${DEFAULT-VALUE}): 'sandbox' runs every"
                            + " Terraform process in a bubblewrap sandbox that sees only its own task directory (needs bwrap and user"
                            + " namespaces; the agent refuses to start without them); 'none' runs Terraform as the agent's own user,"
                            + " where any configuration can read the agent's credentials and other tasks' secrets (warned at start and"
                            + " shown by 'iac agents').")
    String isolation;

    @Option(
            names = "--single",
            description =
                    "Take one task, run it, report it and exit 0 (for ephemeral containers: one run per agent process).")
    boolean single;

    @Option(
            names = "--accept",
            paramLabel = "plan|plan_apply",
            description = "Take only these actions (repeatable; default both); the server's claim enforces it.")
    List<String> accept;

    @Option(
            names = "--hooks-dir",
            paramLabel = "DIR",
            description =
                    "Executables named pre-plan, post-plan, pre-apply, post-apply run in the task's sandbox before and"
                            + " after each phase; their output goes into the task's log marked [pre-apply hook]; a non-zero exit"
                            + " fails the run there.")
    Path hooksDir;

    @Option(
            names = "--provider-mirror",
            paramLabel = "DIR",
            description =
                    "Install providers only from this filesystem mirror (as 'terraform providers mirror' writes it),"
                            + " not from their registries: for agents without access to them. Every task sees it read-only.")
    Path providerMirror;

    @Option(
            names = "--sandbox-read-only",
            paramLabel = "PATH",
            description = "A path every run sees read-only besides the system's (tools under /opt, say); repeatable."
                    + " It must not hold the work directory.")
    List<Path> sandboxReadOnly;

    @Option(
            names = "--log-over-http",
            description =
                    "Send log batches over HTTP only, never the agent WebSocket (for proxies that do not pass WebSockets;"
                            + " by default the agent falls back to HTTP by itself when the WebSocket fails).")
    boolean logOverHttp;

    public AgentCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    AgentConfig config() {
        String url = server != null
                ? server
                : ctx.env("IAC_SERVER") != null ? ctx.env("IAC_SERVER") : ClientOptions.DEFAULT_SERVER;
        Path token = ctx.resolve(tokenFile);
        if (!Files.isRegularFile(token)) throw new UsageException("--token-file: " + token + " does not exist");
        Tokens.read(token, "--token-file"); // one line of a token, checked now (the agent reads it again to register)
        List<URI> servers = Arrays.stream(url.split(","))
                .map(String::strip)
                .filter(u -> !u.isEmpty())
                .map(ClientOptions::parseServerUrl)
                .toList();
        if (servers.isEmpty()) throw new UsageException("--server names no URL");
        AgentConfig.Builder config =
                AgentConfig.builder(servers.getFirst(), token).otherServers(servers.subList(1, servers.size()));
        if (name != null) {
            if (name.isBlank()) throw new UsageException("--name must not be blank");
            config.name(name);
        }
        if (workDir != null) config.workDir(ctx.resolve(workDir));
        if (terraform != null) config.terraform(terraform.getNameCount() > 1 ? ctx.resolve(terraform) : terraform);
        if (maxPlans != null) {
            if (maxPlans < 1) throw new UsageException("--max-plans must be 1 or more, got " + maxPlans);
            config.localPlanLimit(maxPlans);
        }
        if (drainTimeoutSeconds < 0)
            throw new UsageException("--drain-timeout must be 0 or more seconds, got " + drainTimeoutSeconds);
        if (cancelGraceSeconds < 0)
            throw new UsageException("--cancel-grace must be 0 or more seconds, got " + cancelGraceSeconds);
        if (minFreeDiskMib < 0 || minFreeDiskMib > 1L << 30) {
            throw new UsageException("--min-free-disk must be 0 to " + (1L << 30) + " MiB, got " + minFreeDiskMib);
        }
        Transport reach = transport.transport();
        try {
            servers.forEach(reach::check);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (sandboxReadOnly != null) {
            List<Path> paths = sandboxReadOnly.stream().map(ctx::resolve).toList();
            for (Path path : paths) {
                if (!Files.exists(path)) throw new UsageException("--sandbox-read-only: " + path + " does not exist");
            }
            config.sandboxReadOnly(paths);
        }
        Isolation chosen;
        try {
            chosen = Isolation.fromWire(isolation);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--isolation must be sandbox or none, got '" + isolation + "'");
        }
        if (hooksDir != null) {
            Path hooks = ctx.resolve(hooksDir);
            if (!Files.isDirectory(hooks)) throw new UsageException("--hooks-dir: " + hooks + " is not a directory");
            config.hooksDir(hooks);
        }
        if (providerMirror != null) {
            Path mirror = ctx.resolve(providerMirror);
            if (!Files.isDirectory(mirror))
                throw new UsageException("--provider-mirror: " + mirror + " is not a directory");
            config.providerMirror(mirror);
        }
        if (accept != null) config.accept(accepted());
        return config.single(single)
                .adaptive(adaptive)
                .minFreeDisk(minFreeDiskMib * 1024 * 1024)
                .transport(reach)
                .isolation(chosen)
                .drainTimeout(Duration.ofSeconds(drainTimeoutSeconds))
                .cancelGrace(Duration.ofSeconds(cancelGraceSeconds))
                .logWebSocket(!logOverHttp)
                .versions(versions())
                .build();
    }

    private java.util.Set<TaskAction> accepted() {
        java.util.Set<TaskAction> actions = java.util.EnumSet.noneOf(TaskAction.class);
        for (String a : accept) {
            try {
                actions.add(TaskAction.fromWire(a.strip()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--accept takes plan or plan_apply, got '" + a + "'");
            }
        }
        return actions;
    }

    private AgentConfig.Versions versions() {
        Map<TerraformProduct, ReleaseMirror> mirrors = new EnumMap<>(TerraformProduct.class);
        try {
            if (terraformMirror != null) mirrors.put(TerraformProduct.TERRAFORM, ReleaseMirror.of(terraformMirror));
            if (tofuMirror != null) mirrors.put(TerraformProduct.TOFU, ReleaseMirror.of(tofuMirror));
            return new AgentConfig.Versions(
                    versionsDir == null ? null : ctx.resolve(versionsDir),
                    defaultVersion,
                    tofu ? TerraformProduct.TOFU : TerraformProduct.TERRAFORM,
                    mirrors);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--terraform-version, --terraform-mirror or --tofu-mirror: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        AgentConfig config = config();
        if (config.runs().isolation() == Isolation.NONE) {
            ctx.err().println("WARNING: " + Agent.noSandboxWarning() + ".");
            ctx.err().flush();
        }
        Agent agent = new Agent(config);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> Shutdown.bounded("agent", Agent.closeLimit(config), agent::close), "iac-agent-shutdown"));
        ctx.out()
                .println("iac agent " + config.name() + ": registering with "
                        + String.join(
                                ", ",
                                config.servers().stream().map(URI::toString).toList()) + " ...");
        ctx.out().flush();
        try {
            agent.start();
        } catch (RuntimeException e) {
            // A refused pool token reads best as the server's own error: "error: <code>: <message>", exit 4.
            if (e instanceof ApiException api) throw api;
            if (e.getCause() instanceof ApiException api) throw api;
            throw new StartupException("the agent could not start", e);
        }
        if (agent.agentId() != null) {
            ctx.out().println("iac agent " + agent.agentId() + " running; stop with Ctrl-C or SIGTERM.");
            ctx.out().flush();
        }
        agent.awaitTermination();
        return ExitCodes.OK;
    }
}
