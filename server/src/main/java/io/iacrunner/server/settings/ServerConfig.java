package io.iacrunner.server.settings;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server needs to start. {@code databaseUrl == null} selects the embedded PostgreSQL, whose data lives
 * under {@code dataDir/pg}; the data dir also holds the credentials written on first start. Every setting is one row
 * of {@link ServerSettings#ALL}, which maps flags, environment and config file onto
 * the {@link Builder}.
 *
 * @param host address to bind; loopback by default, so plain HTTP never leaves the machine unless asked
 * @param pingInterval how often agents are told to ping
 * @param maxLongPoll the longest a pull may wait on the server before answering empty
 * @param maxLogBytes where an attempt's log is cut with a notice while the task goes on (0: no limit)
 * @param logRetention how long logs of finished tasks are kept (null: forever)
 * @param databasePoolSize connections this replica keeps to PostgreSQL at most
 * @param databaseSslMode PgJDBC's {@code sslmode} for an external database (null: the URL's or the driver's default)
 * @param databaseSslRootCert the CA certificate that {@code verify-ca}/{@code verify-full} check the server against
 * @param redisUrl Redis that replicas share for wake-ups and viewer presence (null: one replica, in-process only)
 * @param redisPrefix prefix of every Redis channel and key, so installations (or tests) can share one Redis
 * @param shutdownGrace how long in-flight requests may take to finish once shutdown begins
 * @param jsonLogs log as JSON lines instead of text (applied by the launcher, which owns the logging backend)
 * @param secretsKeyFile the key that seals sensitive variables (null: {@code dataDir/secrets.key}, created on first
 *     start); replicas must name one shared file, which must exist
 * @param credentialRequestsPerMinute how many token creations one client address may make a minute, and how many
 *     agent registrations one pool token may make a minute after a burst of ten times as many
 * @param tls the certificate to serve HTTPS with; null for plain HTTP
 * @param allowPlainHttp plain HTTP on an address other than loopback: off unless explicitly asked, because every
 *     request carries a token
 * @param leases how long an agent may go silent before its work is judged lost
 * @param autoApplyDefault the auto-apply setting of a workspace created from now on (off: a plan_apply waits for
 *     confirmation)
 * @param planRetention how long the stored plan of a {@code plan} task is kept for {@code task apply}
 * @param notifyAllow the loopback, private or link-local address blocks webhook destinations may reach nonetheless
 */
public record ServerConfig(
        String host,
        int port,
        Path dataDir,
        String databaseUrl,
        String databaseUser,
        String databasePassword,
        Duration pingInterval,
        Duration maxLongPoll,
        long maxLogBytes,
        Duration logRetention,
        int databasePoolSize,
        String databaseSslMode,
        Path databaseSslRootCert,
        String redisUrl,
        String redisPrefix,
        Duration shutdownGrace,
        boolean jsonLogs,
        Path secretsKeyFile,
        int credentialRequestsPerMinute,
        Tls tls,
        boolean allowPlainHttp,
        Leases leases,
        boolean autoApplyDefault,
        Duration planRetention,
        java.util.List<io.iacrunner.server.util.Cidr> notifyAllow) {

    /** HTTPS from PEM files (a certificate chain and a PKCS#8 key) or from a PKCS#12 keystore. */
    public record Tls(Path certificatePem, Path privateKeyPem, Path keystore, String keystorePassword) {
        public static Tls pem(Path certificate, Path privateKey) {
            return new Tls(certificate, privateKey, null, null);
        }

        public static Tls keystore(Path keystore, String password) {
            return new Tls(null, null, keystore, password);
        }
    }

    public static final int DEFAULT_PORT = 8080;
    public static final Path DEFAULT_DATA_DIR = Path.of(".iac-data");
    public static final long DEFAULT_MAX_LOG_BYTES = 256L * 1024 * 1024;
    /** How long a plan task's stored plan waits for {@code task apply} before it is deleted. */
    public static final Duration DEFAULT_PLAN_RETENTION = Duration.ofDays(7);

    public static final int DEFAULT_DATABASE_POOL_SIZE = 20;
    public static final String DEFAULT_REDIS_PREFIX = "iac";
    public static final int DEFAULT_CREDENTIAL_REQUESTS_PER_MINUTE = 60;

    /**
     * How long silence is tolerated. {@code agent}: an agent that has not pinged for this long has lost its lease: its
     * plans are queued again elsewhere and it gets no new work (null: {@link #DEFAULT_AGENT_LEASE}). {@code lostApply}:
     * how long an apply whose agent lost its lease waits for that agent to come back and deliver its outcome, log and
     * state, before it is errored (the workspace stays locked either way).
     */
    public record Leases(Duration agent, Duration lostApply) {
        public static final Leases DEFAULTS = new Leases(null, Duration.ofHours(24));
    }

    /**
     * Longer than a server restart and a 60 s network cut plus the agent's ping retries (see "Leases" in
     * docs/architecture.md for the arithmetic), so neither costs a running task anything.
     */
    public static final Duration DEFAULT_AGENT_LEASE = Duration.ofSeconds(120);

    /** The defaults: loopback, the embedded store under {@link #DEFAULT_DATA_DIR}, no Redis, plain HTTP. */
    public static ServerConfig defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.dataDir = dataDir;
        b.databaseUrl = databaseUrl;
        b.databaseUser = databaseUser;
        b.databasePassword = databasePassword;
        b.pingInterval = pingInterval;
        b.maxLongPoll = maxLongPoll;
        b.maxLogBytes = maxLogBytes;
        b.logRetention = logRetention;
        b.databasePoolSize = databasePoolSize;
        b.databaseSslMode = databaseSslMode;
        b.databaseSslRootCert = databaseSslRootCert;
        b.redisUrl = redisUrl;
        b.redisPrefix = redisPrefix;
        b.shutdownGrace = shutdownGrace;
        b.jsonLogs = jsonLogs;
        b.secretsKeyFile = secretsKeyFile;
        b.credentialRequestsPerMinute = credentialRequestsPerMinute;
        b.autoApplyDefault = autoApplyDefault;
        b.planRetention = planRetention;
        b.notifyAllow = notifyAllow;
        return b.tls(tls).allowPlainHttp(allowPlainHttp).leases(leases);
    }

    /**
     * Sets one field at a time, so each {@link io.iacrunner.server.settings.Setting} fills in its own part (the TLS
     * files, the lease and the lost-apply window are separate settings) without reading the others.
     */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private Path dataDir = DEFAULT_DATA_DIR;
        private String databaseUrl;
        private String databaseUser;
        private String databasePassword;
        private Duration pingInterval = Duration.ofSeconds(5);
        private Duration maxLongPoll = Duration.ofSeconds(25);
        private long maxLogBytes = DEFAULT_MAX_LOG_BYTES;
        private Duration logRetention;
        private int databasePoolSize = DEFAULT_DATABASE_POOL_SIZE;
        private String databaseSslMode;
        private Path databaseSslRootCert;
        private String redisUrl;
        private String redisPrefix = DEFAULT_REDIS_PREFIX;
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private boolean jsonLogs;
        private Path secretsKeyFile;
        private int credentialRequestsPerMinute = DEFAULT_CREDENTIAL_REQUESTS_PER_MINUTE;
        private Path tlsCertificatePem;
        private Path tlsPrivateKeyPem;
        private Path tlsKeystore;
        private String tlsKeystorePassword;
        private boolean allowPlainHttp;
        private Duration agentLease = Leases.DEFAULTS.agent();
        private Duration lostApplyWindow = Leases.DEFAULTS.lostApply();
        private boolean autoApplyDefault;
        private Duration planRetention = DEFAULT_PLAN_RETENTION;
        private java.util.List<io.iacrunner.server.util.Cidr> notifyAllow = java.util.List.of();

        private Builder() {}

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder dataDir(Path value) {
            dataDir = value;
            return this;
        }

        public Builder databaseUrl(String value) {
            databaseUrl = value;
            return this;
        }

        public Builder databaseUser(String value) {
            databaseUser = value;
            return this;
        }

        public Builder databasePassword(String value) {
            databasePassword = value;
            return this;
        }

        /** An external PostgreSQL: its JDBC URL and credentials (a null password: none, or the URL's). */
        public Builder database(String url, String user, String password) {
            return databaseUrl(url).databaseUser(user).databasePassword(password);
        }

        public Builder databasePoolSize(int value) {
            databasePoolSize = value;
            return this;
        }

        public Builder databaseSslMode(String value) {
            databaseSslMode = value;
            return this;
        }

        public Builder databaseSslRootCert(Path value) {
            databaseSslRootCert = value;
            return this;
        }

        public Builder pingInterval(Duration value) {
            pingInterval = value;
            return this;
        }

        public Builder maxLogBytes(long value) {
            maxLogBytes = value;
            return this;
        }

        public Builder logRetention(Duration value) {
            logRetention = value;
            return this;
        }

        public Builder redisUrl(String value) {
            redisUrl = value;
            return this;
        }

        public Builder redisPrefix(String value) {
            redisPrefix = value;
            return this;
        }

        /** Redis shared by replicas, and the prefix of this installation's channels and keys. */
        public Builder redis(String url, String prefix) {
            return redisUrl(url).redisPrefix(prefix);
        }

        public Builder shutdownGrace(Duration value) {
            shutdownGrace = value;
            return this;
        }

        public Builder jsonLogs(boolean value) {
            jsonLogs = value;
            return this;
        }

        public Builder secretsKeyFile(Path value) {
            secretsKeyFile = value;
            return this;
        }

        public Builder credentialRequestsPerMinute(int value) {
            credentialRequestsPerMinute = value;
            return this;
        }

        public Builder tlsCertificatePem(Path value) {
            tlsCertificatePem = value;
            return this;
        }

        public Builder tlsPrivateKeyPem(Path value) {
            tlsPrivateKeyPem = value;
            return this;
        }

        public Builder tlsKeystore(Path value) {
            tlsKeystore = value;
            return this;
        }

        public Builder tlsKeystorePassword(String value) {
            tlsKeystorePassword = value;
            return this;
        }

        /** All four TLS parts at once; null for plain HTTP. */
        public Builder tls(Tls value) {
            Tls parts = value != null ? value : new Tls(null, null, null, null);
            return tlsCertificatePem(parts.certificatePem())
                    .tlsPrivateKeyPem(parts.privateKeyPem())
                    .tlsKeystore(parts.keystore())
                    .tlsKeystorePassword(parts.keystorePassword());
        }

        public Builder allowPlainHttp(boolean value) {
            allowPlainHttp = value;
            return this;
        }

        /** See {@link Leases#agent()}: null for {@link #DEFAULT_AGENT_LEASE}. */
        public Builder agentLease(Duration value) {
            agentLease = value;
            return this;
        }

        public Builder autoApplyDefault(boolean value) {
            autoApplyDefault = value;
            return this;
        }

        public Builder notifyAllow(java.util.List<io.iacrunner.server.util.Cidr> value) {
            notifyAllow = java.util.List.copyOf(value);
            return this;
        }

        public Builder planRetention(Duration value) {
            planRetention = value;
            return this;
        }

        public Builder lostApplyWindow(Duration value) {
            lostApplyWindow = value;
            return this;
        }

        public Builder leases(Leases value) {
            return agentLease(value.agent()).lostApplyWindow(value.lostApply());
        }

        /** The configuration; TLS is on as soon as any of its parts is given (the settings check they fit together). */
        public ServerConfig build() {
            boolean anyTls = tlsCertificatePem != null
                    || tlsPrivateKeyPem != null
                    || tlsKeystore != null
                    || tlsKeystorePassword != null;
            Tls tls = anyTls ? new Tls(tlsCertificatePem, tlsPrivateKeyPem, tlsKeystore, tlsKeystorePassword) : null;
            return new ServerConfig(
                    host,
                    port,
                    dataDir,
                    databaseUrl,
                    databaseUser,
                    databasePassword,
                    pingInterval,
                    maxLongPoll,
                    maxLogBytes,
                    logRetention,
                    databasePoolSize,
                    databaseSslMode,
                    databaseSslRootCert,
                    redisUrl,
                    redisPrefix,
                    shutdownGrace,
                    jsonLogs,
                    secretsKeyFile,
                    credentialRequestsPerMinute,
                    tls,
                    allowPlainHttp,
                    new Leases(agentLease, lostApplyWindow),
                    autoApplyDefault,
                    planRetention,
                    notifyAllow);
        }
    }

    /** An agent silent this long has lost its lease: its plans go elsewhere, its applies wait for it (see {@link Leases}). */
    public Duration lease() {
        return leases.agent() != null ? leases.agent() : DEFAULT_AGENT_LEASE;
    }

    public boolean embeddedDatabase() {
        return databaseUrl == null || databaseUrl.isBlank();
    }

    /** Several replicas share one database and wake each other through Redis. */
    public boolean redisConfigured() {
        return redisUrl != null && !redisUrl.isBlank();
    }
}
