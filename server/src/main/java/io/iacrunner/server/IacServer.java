package io.iacrunner.server;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Transport;
import io.iacrunner.server.agents.AgentRoutes;
import io.iacrunner.server.agents.AgentService;
import io.iacrunner.server.agents.AgentStore;
import io.iacrunner.server.audit.AuditLog;
import io.iacrunner.server.audit.AuditRoutes;
import io.iacrunner.server.auth.ApiTokens;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.CredentialFiles;
import io.iacrunner.server.auth.SigningKeys;
import io.iacrunner.server.auth.Tokens;
import io.iacrunner.server.auth.WsTickets;
import io.iacrunner.server.cluster.RedisRelay;
import io.iacrunner.server.cluster.Relay;
import io.iacrunner.server.http.RateLimiter;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.httpbackend.HttpBackendRoutes;
import io.iacrunner.server.logs.LogRetention;
import io.iacrunner.server.logs.LogRoutes;
import io.iacrunner.server.logs.LogService;
import io.iacrunner.server.logs.LogStore;
import io.iacrunner.server.logs.LogViewer;
import io.iacrunner.server.logs.ViewerRegistry;
import io.iacrunner.server.notifications.NotificationRoutes;
import io.iacrunner.server.notifications.Notifications;
import io.iacrunner.server.ops.Drain;
import io.iacrunner.server.ops.Metrics;
import io.iacrunner.server.ops.OpsRoutes;
import io.iacrunner.server.ops.Readiness;
import io.iacrunner.server.ops.StoreGauges;
import io.iacrunner.server.orgs.OrgRoutes;
import io.iacrunner.server.orgs.OrgService;
import io.iacrunner.server.pools.PoolGrantService;
import io.iacrunner.server.pools.PoolRoutes;
import io.iacrunner.server.pools.PoolService;
import io.iacrunner.server.pools.PoolStore;
import io.iacrunner.server.secrets.SealedJson;
import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.secrets.SecretsKeyCheck;
import io.iacrunner.server.secrets.SecretsKeyFile;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.state.StateRoutes;
import io.iacrunner.server.state.StateService;
import io.iacrunner.server.state.StateStore;
import io.iacrunner.server.store.Database;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.store.StoreUpgrades;
import io.iacrunner.server.tasks.LeaseMonitor;
import io.iacrunner.server.tasks.PlanRetention;
import io.iacrunner.server.tasks.PlanRoutes;
import io.iacrunner.server.tasks.PlanService;
import io.iacrunner.server.tasks.PlanStore;
import io.iacrunner.server.tasks.TaskMetrics;
import io.iacrunner.server.tasks.TaskRoutes;
import io.iacrunner.server.tasks.TaskService;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.tfapi.CloudRunRoutes;
import io.iacrunner.server.tfapi.TerraformCloudRoutes;
import io.iacrunner.server.tokens.TokenRoutes;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.util.StartupTimeline;
import io.iacrunner.server.util.StoreClock;
import io.iacrunner.server.variables.VariableRoutes;
import io.iacrunner.server.variables.VariableService;
import io.iacrunner.server.web.HttpApi;
import io.iacrunner.server.workspaces.TerraformLocks;
import io.iacrunner.server.workspaces.WorkspaceRoutes;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server process: wires every part by constructor, in one place, and owns their lifecycle. Several replicas may
 * run on one external PostgreSQL; with Redis configured they wake each other ({@link RedisRelay}).
 */
public final class IacServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IacServer.class);
    /** A pool token may register this many minutes' worth of agents at once: a whole fleet starting together. */
    private static final int REGISTRATION_BURST_MINUTES = 10;

    private final Metrics metrics;
    private final Relay relay;
    private final Database database;
    private final Javalin http;
    private final List<RouteTable.Route> routes;
    private final Drain drain;
    private final LogRoutes logRoutes;
    private final List<Signals<String>> signals;
    private final LeaseMonitor leases;
    private final LogRetention retention;
    private final PlanRetention planRetention;
    private final Notifications notifications;
    private final CredentialFiles credentials;
    private final ServerConfig config;
    private final String replicaId;
    private final TaskStore taskStore;

    private IacServer(
            Metrics metrics,
            Relay relay,
            Database database,
            Javalin http,
            List<RouteTable.Route> routes,
            Drain drain,
            LogRoutes logRoutes,
            List<Signals<String>> signals,
            LeaseMonitor leases,
            LogRetention retention,
            PlanRetention planRetention,
            Notifications notifications,
            CredentialFiles credentials,
            ServerConfig config,
            String replicaId,
            TaskStore taskStore) {
        this.taskStore = taskStore;
        this.metrics = metrics;
        this.relay = relay;
        this.database = database;
        this.http = http;
        this.routes = routes;
        this.drain = drain;
        this.logRoutes = logRoutes;
        this.signals = signals;
        this.leases = leases;
        this.retention = retention;
        this.planRetention = planRetention;
        this.notifications = notifications;
        this.credentials = credentials;
        this.config = config;
        this.replicaId = replicaId;
    }

    /** A server whose fatal errors are only logged (and make {@code /healthz} fail): for tests and tools. */
    public static IacServer start(ServerConfig config) {
        return start(config, reason -> {});
    }

    /**
     * Starts a server.
     *
     * @param fatal told why, once and on a thread of its own (so it may call {@link System#exit}), when the server
     *     cannot go on: its embedded PostgreSQL died and could not be restarted. {@code /healthz} answers 503 from then
     *     on; the {@code server} command exits non-zero so that a supervisor (systemd, Docker) starts it again.
     */
    public static IacServer start(ServerConfig config, Consumer<String> fatal) {
        return start(config, fatal, Clock.systemUTC(), StoreClock.DATABASE);
    }

    /**
     * A server whose every notion of time is {@code clock}, one a test steps by hand: token expiry, and the leases,
     * timeouts and retention the store records and judges (which in production go by the database's clock); with
     * {@code fatal} as in {@link #start(ServerConfig, Consumer)}.
     */
    public static IacServer start(ServerConfig config, Consumer<String> fatal, Clock clock) {
        return start(config, fatal, clock, StoreClock.of(clock));
    }

    private static IacServer start(ServerConfig config, Consumer<String> fatal, Clock clock, StoreClock storeClock) {
        requireSafeTransport(config);
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create the data dir " + config.dataDir().toAbsolutePath(), e);
        }
        StartupTimeline timeline = new StartupTimeline();
        StartupWarmup.startInBackground();
        String replicaId = newReplicaId();
        Metrics metrics = new Metrics();
        Database database;
        try {
            database = Database.open(
                    config,
                    metrics.registry(),
                    reason -> Thread.ofPlatform().name("iac-fatal").start(() -> fatal.accept(reason)),
                    timeline);
        } catch (RuntimeException e) {
            metrics.close();
            throw e;
        }
        Relay relay = null;
        LeaseMonitor leases = null;
        LogRetention retention = null;
        PlanRetention planRetention = null;
        Notifications notifications = null;
        try {
            relay = config.redisConfigured()
                    ? RedisRelay.start(config.redisUrl(), config.redisPrefix(), replicaId, metrics.registry())
                    : Relay.single();
            Jdbi jdbi = database.jdbi();
            SigningKeys signingKeys = new SigningKeys(jdbi).load();
            Tokens tokens = new Tokens(signingKeys, clock);
            ApiTokens apiTokens = new ApiTokens(jdbi, clock);
            CredentialFiles credentials = CredentialFiles.ensure(config.dataDir(), apiTokens);
            Authenticator auth = new Authenticator(tokens, apiTokens);
            AuditLog audit = new AuditLog(jdbi, clock);
            Signals<String> queueSignals = relay.signals("queue");
            Signals<String> taskSignals = relay.signals("task");
            Drain drain = new Drain(Set.of(ApiPaths.HEALTH, ApiPaths.READY, ApiPaths.METRICS, ApiPaths.JWKS));
            WsTickets tickets = new WsTickets(jdbi, apiTokens, clock);

            SecretBox secretBox = config.secretsKeyFile() == null
                    ? SecretsKeyFile.load(config.dataDir().resolve(SecretsKeyFile.DEFAULT_NAME), true)
                    : SecretsKeyFile.load(config.secretsKeyFile(), false);
            SecretsKeyCheck.require(jdbi, secretBox);
            timeline.mark("keys");
            SealedJson sealed = new SealedJson(secretBox);
            WorkspaceStore workspaceStore = new WorkspaceStore(jdbi, config.autoApplyDefault());
            notifications = Notifications.start(
                    jdbi,
                    secretBox,
                    workspaceStore,
                    config.notifyAllow(),
                    clock,
                    storeClock,
                    database.availability(),
                    metrics.registry(),
                    Duration.ofSeconds(1));
            TaskStore taskStore = new TaskStore(
                    jdbi,
                    config.maxLogBytes(),
                    sealed,
                    storeClock,
                    new TaskMetrics(metrics.registry()),
                    notifications.events());
            int upgraded = StoreUpgrades.once(jdbi, "seal-legacy-task-variables", taskStore::sealLegacySecrets);
            if (upgraded > 0)
                log.info("sealed the sensitive variables of {} tasks queued before they were kept sealed", upgraded);
            PoolStore poolStore = new PoolStore(jdbi);
            LogStore logStore = new LogStore(jdbi);
            PlanStore planStore = new PlanStore(jdbi, secretBox, storeClock);
            ViewerRegistry viewers = new ViewerRegistry(relay.presence());
            LogService logService = new LogService(taskStore, logStore, taskSignals, viewers, metrics.registry());
            VariableService variableService = new VariableService(jdbi, workspaceStore, sealed);
            TaskService taskService = new TaskService(
                    jdbi,
                    taskStore,
                    planStore,
                    workspaceStore,
                    variableService,
                    tokens,
                    queueSignals,
                    taskSignals,
                    config.maxLongPoll(),
                    config.lease(),
                    logService::digest,
                    metrics.registry(),
                    drain::draining);
            StoreAvailability store = database.availability();
            PlanService planService = new PlanService(jdbi, taskStore, planStore, queueSignals, taskSignals);
            planRetention = new PlanRetention(planStore, config.planRetention(), store).start(Duration.ofHours(1));
            leases = new LeaseMonitor(
                            jdbi,
                            taskStore,
                            queueSignals,
                            taskSignals,
                            config.lease(),
                            config.leases().lostApply(),
                            storeClock,
                            metrics.registry(),
                            store)
                    .start(config.pingInterval().dividedBy(2));
            AgentService agentService = new AgentService(
                    jdbi,
                    new AgentStore(jdbi, storeClock),
                    poolStore,
                    taskStore,
                    tokens,
                    clock,
                    config.pingInterval(),
                    config.lease(),
                    config.leases().lostApply(),
                    leases);
            StateService stateService = new StateService(jdbi, taskStore, new StateStore(jdbi), workspaceStore);
            StoreGauges gauges = new StoreGauges(taskStore, agentService, metrics.registry(), store);
            metrics.refreshBeforeScrape(gauges::refresh);

            WorkspaceService workspaceService = new WorkspaceService(
                    jdbi, workspaceStore, queueSignals, TaskService.QUEUE, taskService::giveUpLostApply);
            // For the endpoints that mint credentials, shared by the replicas through the relay. Registrations count
            // per pool token, with a burst for a fleet that starts at once behind one NAT address; tokens count per
            // address, one budget whichever endpoint mints them.
            int perMinute = config.credentialRequestsPerMinute();
            RateLimiter registrations = RateLimiter.perCredential(
                    "agent registrations", perMinute, REGISTRATION_BURST_MINUTES * perMinute, relay.rateBuckets());
            RateLimiter tokenIssues = RateLimiter.perAddress("token creation", perMinute, relay.rateBuckets());
            OrgService orgService = new OrgService(jdbi);
            LogRoutes logRoutes = new LogRoutes(
                    auth,
                    tickets,
                    taskService,
                    logService,
                    new LogViewer(taskStore, logStore, taskSignals),
                    viewers,
                    store);
            // The API's table of contents, a feature at a time: each register() lists that feature's endpoints.
            List<Routes> api = List.of(
                    new OpsRoutes(new Readiness(database, drain, relay), metrics),
                    new TokenRoutes(auth, apiTokens, signingKeys, tickets, audit, tokenIssues, orgService),
                    new OrgRoutes(auth, orgService, audit),
                    new AgentRoutes(auth, agentService, taskService, registrations, orgService),
                    new TaskRoutes(auth, taskService, audit),
                    new PlanRoutes(auth, taskService, planService, audit),
                    logRoutes,
                    new StateRoutes(auth, stateService),
                    new WorkspaceRoutes(auth, workspaceService, audit),
                    new HttpBackendRoutes(
                            auth,
                            stateService,
                            new TerraformLocks(jdbi, workspaceStore, queueSignals, TaskService.QUEUE),
                            workspaceService,
                            audit),
                    new TerraformCloudRoutes(auth, orgService, workspaceService, stateService, audit),
                    new CloudRunRoutes(
                            auth,
                            jdbi,
                            taskService,
                            planService,
                            workspaceService,
                            logService,
                            secretBox,
                            clock,
                            audit),
                    new VariableRoutes(auth, variableService),
                    new NotificationRoutes(auth, notifications.service(), audit),
                    new PoolRoutes(
                            auth,
                            new PoolService(poolStore, apiTokens),
                            new PoolGrantService(jdbi, poolStore),
                            audit,
                            tokenIssues,
                            orgService),
                    new AuditRoutes(auth, audit, orgService::owned));
            HttpApi http = new HttpApi(api, drain, audit, store);
            if (config.logRetention() != null) {
                // Hourly, or more often for a retention shorter than two hours, so a log outlives it by half at most.
                Duration half = config.logRetention().dividedBy(2);
                retention = new LogRetention(jdbi, config.logRetention(), storeClock, store)
                        .start(half.compareTo(Duration.ofHours(1)) < 0 ? half : Duration.ofHours(1));
            }
            timeline.mark("services");
            Javalin javalin =
                    http.create(config.host(), config.port(), config.tls()).start();
            timeline.mark("http");
            IacServer server = new IacServer(
                    metrics,
                    relay,
                    database,
                    javalin,
                    http.routes(),
                    drain,
                    logRoutes,
                    List.of(queueSignals, taskSignals),
                    leases,
                    retention,
                    planRetention,
                    notifications,
                    credentials,
                    config,
                    replicaId,
                    taskStore);
            log.info(
                    "iac-runner server {} listening on {} (schema version {}, {}), started in {}",
                    replicaId,
                    server.baseUrl(),
                    database.schemaVersion(),
                    config.redisConfigured() ? "replicas through Redis" : "one replica",
                    timeline.summary());
            log.info("admin token: {}", credentials.adminToken());
            log.info("agent token (pool default-pool): {}", credentials.agentToken());
            log.info("secrets key id: {}", secretBox.keyId());
            return server;
        } catch (RuntimeException e) {
            if (leases != null) leases.close();
            if (retention != null) retention.close();
            if (planRetention != null) planRetention.close();
            if (notifications != null) notifications.close();
            if (relay != null) relay.close();
            database.close();
            metrics.close();
            throw e;
        }
    }

    /** Every request carries a token: plain HTTP leaves the machine only when explicitly allowed. */
    static void requireSafeTransport(ServerConfig config) {
        if (config.tls() != null || config.allowPlainHttp() || Transport.isLoopback(config.host())) return;
        throw new IllegalStateException(
                "refusing to serve plain HTTP on " + config.host() + ": tokens would cross the network"
                        + " unencrypted; give a certificate (--tls-cert and --tls-key, or --tls-keystore), or --allow-plain-http"
                        + " behind a proxy that terminates TLS");
    }

    /** A name for this replica in logs and in Redis: the host name (a container's id) plus a random part. */
    private static String newReplicaId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "server";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public int port() {
        return http.port();
    }

    public URI baseUrl() {
        String host = config.host();
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        return URI.create((config.tls() != null ? "https://" : "http://")
                + (shown.contains(":") ? "[" + shown + "]" : shown) + ":" + port());
    }

    public Path adminTokenFile() {
        return credentials.adminToken();
    }

    public Path agentTokenFile() {
        return credentials.agentToken();
    }

    /** Every endpoint this server serves, as its features registered them. */
    public List<RouteTable.Route> routes() {
        return routes;
    }

    public String replicaId() {
        return replicaId;
    }

    /**
     * Fair scheduling between organisations (on, the default) or one first-in-first-out queue: the fairness
     * benchmark's baseline, measured against the same server and store.
     */
    public void fairScheduling(boolean on) {
        taskStore.fairScheduling(on);
    }

    /** Lease recovery, which runs by itself twice per ping interval; tests step it by hand with a stepped clock. */
    public LeaseMonitor leases() {
        return leases;
    }

    /** The deletion of stored plans nobody can apply any more; tests step it by hand. */
    public PlanRetention planRetention() {
        return planRetention;
    }

    /** Webhook notifications: the deliverer runs by itself every second; tests step a round by hand. */
    public Notifications notifications() {
        return notifications;
    }

    /** Log retention (null when logs are kept forever); tests step it by hand. */
    public LogRetention retention() {
        return retention;
    }

    /**
     * Graceful: new requests are refused (503, so agents move to another replica, and {@code /readyz} fails), waiting
     * long polls answer empty, WebSockets close with 1001, and requests in flight get up to the shutdown grace to
     * finish; only then do HTTP, the background jobs, the relay and the store stop.
     */
    @Override
    public void close() {
        drain.begin();
        signals.forEach(Signals::signalAllLocally); // waiting pulls see the drain and answer at once
        logRoutes.goingAway();
        try {
            if (!drain.awaitIdle(config.shutdownGrace())) {
                log.warn(
                        "{} requests still in flight after the shutdown grace of {} s; stopping anyway",
                        drain.inFlight(),
                        config.shutdownGrace().toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.stop();
        leases.close();
        if (retention != null) retention.close();
        planRetention.close();
        notifications.close();
        relay.close();
        database.close();
        metrics.close();
        log.info("iac-runner server {} stopped", replicaId);
    }
}
