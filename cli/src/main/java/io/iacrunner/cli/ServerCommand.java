package io.iacrunner.cli;

import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.settings.ServerSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        modelTransformer = ServerCommand.SettingOptions.class,
        description = {
            "Run the server until SIGTERM or SIGINT.",
            "Every setting below can also come from its environment variable (IAC_…) or from the --config file",
            "(NAME=VALUE lines, NAME as the option without --); a flag beats the environment, which beats the file.",
            "Without --database-url it runs on an embedded PostgreSQL whose data lives under the data dir.",
        })
public final class ServerCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Spec
    CommandSpec spec;

    @Option(
            names = ServerSettings.CONFIG_FLAG,
            paramLabel = "FILE",
            description = "A properties file of settings (env " + ServerSettings.CONFIG_ENV + ").")
    Path configFile;

    /** Adds one option per row of {@link ServerSettings#ALL}: the table, not this class, lists the settings. */
    public static final class SettingOptions implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingsOptions.add(spec, setting -> true);
            return spec;
        }
    }

    public ServerCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    ServerConfig config() {
        return SettingsOptions.resolve(spec, ctx, configFile);
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = config();
        if (config.jsonLogs()) Logging.useJson();
        IacServer server;
        try {
            server = IacServer.start(config, reason -> Fatal.exit(ctx, reason));
        } catch (RuntimeException e) {
            throw new StartupException("the server could not start", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                // The grace for requests in flight, plus time to stop the rest.
                                Shutdown.bounded(
                                        "server", config.shutdownGrace().plus(Shutdown.SERVER_LIMIT), server::close);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "iac-server-shutdown"));
        ctx.out()
                .printf(
                        "iac server listening on %s (%s database%s)%n",
                        server.baseUrl(),
                        config.embeddedDatabase() ? "embedded PostgreSQL" : "external PostgreSQL",
                        config.redisConfigured() ? ", replicas through Redis" : "");
        ctx.out()
                .println("  web UI:      " + server.baseUrl().resolve("/")
                        + "   (sign in with a user or the admin token)");
        ctx.out().println("  admin token: " + server.adminTokenFile() + "   (for ./iac task|logs|state|agents)");
        ctx.out().println("  agent token: " + server.agentTokenFile() + "   (for ./iac agent --token-file)");
        ctx.out()
                .println("  health: " + server.baseUrl().resolve("/healthz") + "  readiness: "
                        + server.baseUrl().resolve("/readyz") + "  metrics: "
                        + server.baseUrl().resolve("/metrics"));
        ctx.out().println("Stop with Ctrl-C or SIGTERM.");
        ctx.out().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
