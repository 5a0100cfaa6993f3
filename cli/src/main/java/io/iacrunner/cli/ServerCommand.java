package io.iacrunner.cli;

import io.iacrunner.server.IacServer;
import io.iacrunner.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        description = {
            "Run the server until SIGTERM or SIGINT.",
            "Without --database-url it runs on an embedded PostgreSQL whose data lives under the data dir.",
        })
public final class ServerCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port to listen on; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".iac-data",
            description = "Tokens, signing keys and the embedded database (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--database-url", paramLabel = "URL", description = "External PostgreSQL JDBC URL (env IAC_DATABASE_URL).")
    String databaseUrl;

    @Option(names = "--database-user", paramLabel = "U", description = "Database user (env IAC_DATABASE_USER).")
    String databaseUser;

    @Option(names = "--database-password", paramLabel = "P", description = "Database password (env IAC_DATABASE_PASSWORD).")
    String databasePassword;

    @Option(names = "--ping-interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "How often agents ping; an agent silent for 3 intervals (its lease) loses its tasks (default ${DEFAULT-VALUE}).")
    long pingIntervalSeconds;

    @Option(names = "--max-log-mib", paramLabel = "MIB", defaultValue = "256",
            description = "Where a task attempt's log is cut with a notice while the task goes on; 0: no limit (default ${DEFAULT-VALUE}).")
    long maxLogMib;

    @Option(names = "--log-retention-days", paramLabel = "DAYS",
            description = "Delete the stored logs of tasks finished longer ago than this; tasks and states stay (default: keep logs forever).")
    Long logRetentionDays;

    public ServerCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    ServerConfig config() {
        Ports.check(port, "--port");
        String url = databaseUrl != null ? databaseUrl : ctx.env("IAC_DATABASE_URL");
        String user = databaseUser != null ? databaseUser : ctx.env("IAC_DATABASE_USER");
        String password = databasePassword != null ? databasePassword : ctx.env("IAC_DATABASE_PASSWORD");
        if (url != null && !url.startsWith("jdbc:postgresql:")) {
            throw new UsageException("--database-url must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DB), got " + url);
        }
        if (pingIntervalSeconds < 1) throw new UsageException("--ping-interval must be 1 or more seconds, got " + pingIntervalSeconds);
        if (maxLogMib < 0) throw new UsageException("--max-log-mib must be 0 or more, got " + maxLogMib);
        if (logRetentionDays != null && logRetentionDays < 1) {
            throw new UsageException("--log-retention-days must be 1 or more, got " + logRetentionDays);
        }
        return ServerConfig.defaults()
                .withMaxLogBytes(maxLogMib * 1024 * 1024)
                .withLogRetention(logRetentionDays == null ? null : Duration.ofDays(logRetentionDays))
                .withPingInterval(Duration.ofSeconds(pingIntervalSeconds))
                .withHost(host)
                .withPort(port)
                .withDataDir(ctx.resolve(dataDir))
                .withDatabase(url, user, password);
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = config();
        IacServer server;
        try {
            server = IacServer.start(config);
        } catch (RuntimeException e) {
            throw new StartupException("the server could not start", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Shutdown.bounded("server", Shutdown.SERVER_LIMIT, server::close);
            } finally {
                stopped.countDown();
            }
        }, "iac-server-shutdown"));
        ctx.out().printf("iac server listening on %s (%s database)%n", server.baseUrl(),
                config.embeddedDatabase() ? "embedded PostgreSQL" : "external PostgreSQL");
        ctx.out().println("  web UI:      " + server.baseUrl().resolve("/") + "   (sign in with a user or the admin token)");
        ctx.out().println("  admin token: " + server.adminTokenFile() + "   (for ./iac task|logs|state|agents)");
        ctx.out().println("  agent token: " + server.agentTokenFile() + "   (for ./iac agent --token-file)");
        ctx.out().println("Stop with Ctrl-C or SIGTERM.");
        ctx.out().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
