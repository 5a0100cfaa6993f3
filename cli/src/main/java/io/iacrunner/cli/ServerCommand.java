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

    @Option(names = "--secrets-key-file", paramLabel = "FILE",
            description = {"The AES key (32 bytes, base64) that encrypts sensitive variables (env IAC_SECRETS_KEY_FILE).",
                "Default: <data-dir>/secrets.key, created on first start. Replicas must share one file, which must exist."})
    Path secretsKeyFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve HTTPS with this certificate chain (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "The certificate's unencrypted PKCS#8 private key.")
    Path tlsKey;

    @Option(names = "--tls-keystore", paramLabel = "P12", description = "Serve HTTPS from a PKCS#12 keystore instead of PEM files.")
    Path tlsKeystore;

    @Option(names = "--tls-keystore-password", paramLabel = "PASSWORD",
            description = "The keystore's password (env IAC_TLS_KEYSTORE_PASSWORD).")
    String tlsKeystorePassword;

    @Option(names = "--allow-plain-http",
            description = "Serve plain HTTP on an address other than loopback (behind a proxy that terminates TLS).")
    boolean allowPlainHttp;

    public ServerCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    ServerConfig config() {
        Ports.check(port, "--port");
        String url = databaseUrl != null ? databaseUrl : ctx.env("IAC_DATABASE_URL");
        String user = databaseUser != null ? databaseUser : ctx.env("IAC_DATABASE_USER");
        String password = databasePassword != null ? databasePassword : ctx.env("IAC_DATABASE_PASSWORD");
        String keyFile = secretsKeyFile != null ? secretsKeyFile.toString() : ctx.env("IAC_SECRETS_KEY_FILE");
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
                .withDatabase(url, user, password)
                .withSecretsKeyFile(keyFile == null ? null : ctx.resolve(Path.of(keyFile)))
                .withTls(tls())
                .withAllowPlainHttp(allowPlainHttp);
    }

    private ServerConfig.Tls tls() {
        if (tlsKeystore != null) {
            if (tlsCert != null || tlsKey != null) throw new UsageException("give --tls-keystore or --tls-cert with --tls-key, not both");
            String password = tlsKeystorePassword != null ? tlsKeystorePassword : ctx.env("IAC_TLS_KEYSTORE_PASSWORD");
            return ServerConfig.Tls.keystore(ctx.resolve(tlsKeystore), password);
        }
        if ((tlsCert == null) != (tlsKey == null)) throw new UsageException("--tls-cert and --tls-key go together");
        return tlsCert == null ? null : ServerConfig.Tls.pem(ctx.resolve(tlsCert), ctx.resolve(tlsKey));
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
        ctx.out().println("  admin token: " + server.adminTokenFile() + "   (for ./iac task|logs|state|agents)");
        ctx.out().println("  agent token: " + server.agentTokenFile() + "   (for ./iac agent --token-file)");
        ctx.out().println("Stop with Ctrl-C or SIGTERM.");
        ctx.out().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
