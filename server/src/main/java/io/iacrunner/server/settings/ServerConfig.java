package io.iacrunner.server.settings;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server needs to start. {@code databaseUrl == null} selects the embedded PostgreSQL, whose data lives
 * under {@code dataDir/pg}; the data dir also holds the credentials written on first start. Every setting is one row
 * of {@link ServerSettings#ALL}, which maps flags, environment and config file onto the with-ers below.
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
 * @param credentialRequestsPerMinute how many agent registrations, and separately how many token creations, one
 *     client address may make a minute
 * @param tls the certificate to serve HTTPS with; null for plain HTTP
 * @param allowPlainHttp plain HTTP on an address other than loopback: off unless explicitly asked, because every
 *     request carries a token
 * @param leases how long an agent may go silent before its work is judged lost
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
        Leases leases) {

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

    public static ServerConfig defaults() {
        return new ServerConfig(
                "127.0.0.1", DEFAULT_PORT, DEFAULT_DATA_DIR, null, null, null, Duration.ofSeconds(5), Duration.ofSeconds(25),
                DEFAULT_MAX_LOG_BYTES, null, DEFAULT_DATABASE_POOL_SIZE, null, null, null, DEFAULT_REDIS_PREFIX,
                Duration.ofSeconds(30), false, null, DEFAULT_CREDENTIAL_REQUESTS_PER_MINUTE, null, false, Leases.DEFAULTS);
    }

    public ServerConfig withHost(String value) {
        return new ServerConfig(value, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withPort(int value) {
        return new ServerConfig(host, value, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withDataDir(Path value) {
        return new ServerConfig(host, port, value, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withPingInterval(Duration value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, value, maxLongPoll,
                maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert, redisUrl,
                redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withMaxLogBytes(long value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, value, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert, redisUrl,
                redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withLogRetention(Duration value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, value, databasePoolSize, databaseSslMode, databaseSslRootCert, redisUrl,
                redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withDatabasePoolSize(int value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, value, databaseSslMode, databaseSslRootCert, redisUrl,
                redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withShutdownGrace(Duration value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, value, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withJsonLogs(boolean value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, value, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withSecretsKeyFile(Path value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, value, credentialRequestsPerMinute, tls,
                allowPlainHttp, leases);
    }

    public ServerConfig withCredentialRequestsPerMinute(int value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, value, tls, allowPlainHttp, leases);
    }

    public ServerConfig withTls(Tls value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, value,
                allowPlainHttp, leases);
    }

    public ServerConfig withAllowPlainHttp(boolean value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                value, leases);
    }

    public ServerConfig withDatabase(String url, String user, String password) {
        return new ServerConfig(host, port, dataDir, url, user, password, pingInterval, maxLongPoll, maxLogBytes,
                logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert, redisUrl, redisPrefix,
                shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withDatabaseUrl(String value) {
        return withDatabase(value, databaseUser, databasePassword);
    }

    public ServerConfig withDatabaseUser(String value) {
        return withDatabase(databaseUrl, value, databasePassword);
    }

    public ServerConfig withDatabasePassword(String value) {
        return withDatabase(databaseUrl, databaseUser, value);
    }

    public ServerConfig withDatabaseSsl(String mode, Path rootCert) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, mode, rootCert, redisUrl, redisPrefix,
                shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withRedis(String url, String prefix) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert, url,
                prefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls, allowPlainHttp, leases);
    }

    public ServerConfig withLeases(Leases value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, pingInterval,
                maxLongPoll, maxLogBytes, logRetention, databasePoolSize, databaseSslMode, databaseSslRootCert,
                redisUrl, redisPrefix, shutdownGrace, jsonLogs, secretsKeyFile, credentialRequestsPerMinute, tls,
                allowPlainHttp, value);
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
