package io.iacrunner.server.settings;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every server setting, in one table: adding a setting is adding one line here (plus its field in
 * {@link ServerConfig}). The flags of {@code ./iac server}, its {@code --help}, the environment variables, the config
 * file keys and the settings table in docs/operations.md all come from (or are checked against) this list.
 *
 * <p>Precedence, 12-factor style: a flag beats the environment, which beats the config file ({@code --config FILE}
 * or {@code IAC_CONFIG}), which beats the default. An empty environment variable counts as unset.
 */
public final class ServerSettings {
    private ServerSettings() {}

    /** The config file itself: not a setting (it holds them), but found the same two ways. */
    public static final String CONFIG_FLAG = "--config";

    public static final String CONFIG_ENV = "IAC_CONFIG";

    // Declared before ALL, whose help texts use them while the class initializes.
    private static final List<String> SSL_MODES =
            List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    private static final List<String> LOG_FORMATS = List.of("text", "json");
    private static final List<String> BOOLEANS = List.of("true", "false");

    public static final List<Setting> ALL = List.of(
            new Setting(
                    "host",
                    "HOST",
                    "127.0.0.1",
                    "Address to bind; 0.0.0.0 listens on every interface",
                    (c, v) -> c.host(v.text())),
            new Setting(
                    "port",
                    "PORT",
                    "8080",
                    "Port to listen on; 0 picks a free one",
                    (c, v) -> c.port(v.integer(0, 65535))),
            new Setting(
                    "data-dir",
                    "DIR",
                    ".iac-data",
                    "Where the server writes admin.token and agent.token, and keeps" + " the embedded database",
                    (c, v) -> c.dataDir(v.path())),
            new Setting(
                    "database-url",
                    "URL",
                    "none: the embedded PostgreSQL",
                    "External PostgreSQL, as a JDBC URL" + " jdbc:postgresql://HOST:PORT/DB",
                    (c, v) -> c.databaseUrl(v.startingWith(
                            "a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DB)", "jdbc:postgresql:"))),
            new Setting(
                    "database-user",
                    "USER",
                    "none",
                    "User for the external PostgreSQL",
                    (c, v) -> c.databaseUser(v.text())),
            new Setting(
                    "database-password",
                    "PASSWORD",
                    "none",
                    "Password for the external PostgreSQL (prefer the"
                            + " environment variable or the config file: flags show in ps)",
                    (c, v) -> c.databasePassword(v.text())),
            new Setting(
                    "database-pool-size",
                    "N",
                    Integer.toString(ServerConfig.DEFAULT_DATABASE_POOL_SIZE),
                    "Connections this replica keeps to PostgreSQL at most",
                    (c, v) -> c.databasePoolSize(v.integer(2, 1000))),
            new Setting(
                    "database-ssl-mode",
                    "MODE",
                    "the JDBC driver's (prefer)",
                    "TLS to the external PostgreSQL: " + String.join(", ", SSL_MODES),
                    (c, v) -> c.databaseSslMode(v.oneOf(SSL_MODES))),
            new Setting(
                    "database-ssl-root-cert",
                    "FILE",
                    "none",
                    "CA certificate that verify-ca and verify-full check" + " the database server against",
                    (c, v) -> c.databaseSslRootCert(v.path())),
            new Setting(
                    "ping-interval",
                    "SECONDS",
                    "5",
                    "How often agents ping; a failed ping is retried sooner",
                    (c, v) -> c.pingInterval(v.seconds(1))),
            new Setting(
                    "agent-lease",
                    "SECONDS",
                    "120",
                    "An agent silent this long has lost its lease: its plans are"
                            + " queued again, its applies wait for it (lost-apply-window); at least 3 ping intervals",
                    (c, v) -> c.agentLease(v.seconds(3))),
            new Setting(
                    "lost-apply-window",
                    "SECONDS",
                    "86400",
                    "How long an apply whose agent lost its lease waits for"
                            + " that agent to deliver its outcome, log and state before it is errored (the lock stays)",
                    (c, v) -> c.lostApplyWindow(v.seconds(1))),
            new Setting(
                    "max-log-mib",
                    "MIB",
                    "256",
                    "Where a task attempt's log is cut with a notice while the task" + " goes on; 0: no limit",
                    (c, v) -> c.maxLogBytes(v.number(0, Long.MAX_VALUE / (1024 * 1024)) * 1024 * 1024)),
            new Setting(
                    "log-retention-days",
                    "DAYS",
                    "keep logs forever",
                    "Delete the stored logs of tasks finished" + " longer ago than this; tasks and states stay",
                    (c, v) -> c.logRetention(Duration.ofDays(v.number(1, 36_500)))),
            new Setting(
                    "auto-apply-default",
                    "BOOL",
                    "false",
                    "Whether a workspace created from now on applies a"
                            + " plan_apply's plan without waiting for confirmation (each workspace's own setting:"
                            + " ./iac workspace set WS --auto-apply)",
                    (c, v) -> c.autoApplyDefault(v.oneOf(BOOLEANS).equals("true"))),
            new Setting(
                    "plan-retention-days",
                    "DAYS",
                    "7",
                    "Delete the stored plan of a plan task (what ./iac task apply"
                            + " applies) this long after it was made, or once the state has moved on",
                    (c, v) -> c.planRetention(Duration.ofDays(v.number(1, 36_500)))),
            new Setting(
                    "notify-allow",
                    "CIDR,...",
                    "none: public addresses only",
                    "Address blocks that webhook destinations may reach although they are loopback, private or"
                            + " link-local (refused otherwise, so a workspace admin cannot make the server call into its"
                            + " own network), like 10.20.0.0/16,127.0.0.0/8",
                    (c, v) -> {
                        try {
                            c.notifyAllow(io.iacrunner.server.util.Cidr.parseList(v.text()));
                        } catch (IllegalArgumentException e) {
                            throw v.invalid(e.getMessage());
                        }
                    }),
            new Setting(
                    "redis-url",
                    "URL",
                    "none: one replica",
                    "Redis shared by the replicas for live log wake-ups,"
                            + " viewer presence, queue wake-ups and cancels: redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS",
                    (c, v) -> c.redisUrl(v.startingWith("a redis:// or rediss:// URL", "redis://", "rediss://"))),
            new Setting(
                    "redis-prefix",
                    "PREFIX",
                    ServerConfig.DEFAULT_REDIS_PREFIX,
                    "Prefix of every Redis channel and" + " key, so installations can share one Redis",
                    (c, v) -> c.redisPrefix(v.text())),
            new Setting(
                    "shutdown-grace",
                    "SECONDS",
                    "30",
                    "On SIGTERM, how long requests in flight may take to finish"
                            + " (new ones are refused with 503 so agents move to another replica)",
                    (c, v) -> c.shutdownGrace(v.seconds(0))),
            new Setting(
                    "log-format",
                    "FORMAT",
                    "text",
                    "Server log lines as text, or as json (one object per line," + " for log collectors)",
                    (c, v) -> c.jsonLogs(v.oneOf(LOG_FORMATS).equals("json"))),
            new Setting(
                    "secrets-key-file",
                    "FILE",
                    "<data-dir>/secrets.key, created on first start",
                    "The AES key (32 bytes,"
                            + " base64) that encrypts sensitive variables; replicas must share one file, which must exist",
                    (c, v) -> c.secretsKeyFile(v.path())),
            new Setting(
                    "tls-cert",
                    "PEM",
                    "none: plain HTTP",
                    "Serve HTTPS with this certificate chain (with tls-key)",
                    (c, v) -> c.tlsCertificatePem(v.path())),
            new Setting(
                    "tls-key",
                    "PEM",
                    "none",
                    "The certificate's unencrypted PKCS#8 private key",
                    (c, v) -> c.tlsPrivateKeyPem(v.path())),
            new Setting(
                    "tls-keystore",
                    "P12",
                    "none",
                    "Serve HTTPS from a PKCS#12 keystore instead of PEM files",
                    (c, v) -> c.tlsKeystore(v.path())),
            new Setting(
                    "tls-keystore-password",
                    "PASSWORD",
                    "none",
                    "The keystore's password (prefer the environment"
                            + " variable or the config file: flags show in ps)",
                    (c, v) -> c.tlsKeystorePassword(v.text())),
            new Setting(
                    "allow-plain-http",
                    "BOOLEAN",
                    "false",
                    "Serve plain HTTP on an address other than loopback"
                            + " (behind a proxy that terminates TLS); tokens cross the network in every request",
                    (c, v) -> c.allowPlainHttp(v.oneOf(BOOLEANS).equals("true"))),
            new Setting(
                    "credential-requests-per-minute",
                    "N",
                    Integer.toString(ServerConfig.DEFAULT_CREDENTIAL_REQUESTS_PER_MINUTE),
                    "Token creations one client address may make a minute, and agent registrations one pool token may"
                            + " make a minute after a burst of ten times as many (a fleet starting at once)",
                    (c, v) -> c.credentialRequestsPerMinute(v.integer(1, 1_000_000))));

    /**
     * The configuration from {@code flags} (setting name → value, as typed), the environment and the config file,
     * over {@code base}.
     *
     * @param configFlag the {@code --config} file, if given
     * @param paths resolves relative paths (the data dir, certificates, the config file)
     */
    public static ServerConfig resolve(
            ServerConfig base,
            Map<String, String> flags,
            Path configFlag,
            Map<String, String> env,
            Function<String, Path> paths) {
        Path configFile = configFlag != null
                ? configFlag
                : present(env.get(CONFIG_ENV)) ? paths.apply(env.get(CONFIG_ENV)) : null;
        Map<String, String> file = configFile == null ? Map.of() : readFile(configFile);
        String fileName = configFile == null ? null : configFile.getFileName().toString();
        ServerConfig.Builder builder = base.toBuilder();
        for (Setting setting : ALL) {
            SettingValue value;
            if (flags.get(setting.name()) != null)
                value = new SettingValue(flags.get(setting.name()), setting.flag(), paths);
            else if (present(env.get(setting.env())))
                value = new SettingValue(env.get(setting.env()), setting.env(), paths);
            else if (file.containsKey(setting.name())) {
                value = new SettingValue(file.get(setting.name()), fileName + ": " + setting.name(), paths);
            } else continue;
            setting.binder().apply(builder, value);
        }
        ServerConfig config = builder.build();
        ServerConfig.Tls tls = config.tls();
        if (tls != null && tls.keystore() != null && (tls.certificatePem() != null || tls.privateKeyPem() != null)) {
            throw new SettingException("give tls-keystore, or tls-cert with tls-key, not both");
        }
        if (tls != null && tls.keystore() == null && (tls.certificatePem() == null || tls.privateKeyPem() == null)) {
            throw new SettingException(
                    tls.keystorePassword() != null && tls.certificatePem() == null && tls.privateKeyPem() == null
                            ? "tls-keystore-password needs tls-keystore"
                            : "tls-cert and tls-key go together");
        }
        if (config.lease().compareTo(config.pingInterval().multipliedBy(3)) < 0) {
            // Fewer than three pings per lease, and one or two lost pings would cost an agent its work.
            throw new SettingException(
                    "agent-lease (" + config.lease().toSeconds() + " s) must be at least 3 ping intervals ("
                            + config.pingInterval().multipliedBy(3).toSeconds() + " s)");
        }
        if (config.databaseSslRootCert() != null && !Files.isReadable(config.databaseSslRootCert())) {
            throw new SettingException("database-ssl-root-cert: cannot read " + config.databaseSslRootCert());
        }
        return config;
    }

    /** A properties file whose keys must all be setting names: a typo must not be silently ignored. */
    static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            throw new SettingException("cannot read the config file " + file + ": " + e.getMessage());
        }
        TreeSet<String> unknown = new TreeSet<>(properties.stringPropertyNames());
        ALL.forEach(s -> unknown.remove(s.name()));
        if (!unknown.isEmpty()) {
            throw new SettingException(file + ": unknown setting " + String.join(", ", unknown) + " (known: "
                    + ALL.stream().map(Setting::name).collect(Collectors.joining(", ")) + ")");
        }
        return properties.stringPropertyNames().stream()
                .collect(Collectors.toMap(k -> k, k -> properties.getProperty(k).trim()));
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
