package io.iacrunner.server;

import io.iacrunner.server.agents.AgentRoutes;
import io.iacrunner.server.agents.AgentService;
import io.iacrunner.server.agents.AgentStore;
import io.iacrunner.server.auth.AuthRoutes;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.CredentialFiles;
import io.iacrunner.server.auth.SigningKeys;
import io.iacrunner.server.auth.Tokens;
import io.iacrunner.server.auth.WsTickets;
import io.iacrunner.server.logs.LogRetention;
import io.iacrunner.server.logs.LogRoutes;
import io.iacrunner.server.logs.LogService;
import io.iacrunner.server.logs.LogStore;
import io.iacrunner.server.logs.LogViewer;
import io.iacrunner.server.logs.ViewerRegistry;
import io.iacrunner.server.pools.PoolRoutes;
import io.iacrunner.server.pools.PoolService;
import io.iacrunner.server.pools.PoolStore;
import io.iacrunner.server.state.StateRoutes;
import io.iacrunner.server.state.StateService;
import io.iacrunner.server.state.StateStore;
import io.iacrunner.server.store.Database;
import io.iacrunner.server.tasks.LeaseMonitor;
import io.iacrunner.server.tasks.TaskRoutes;
import io.iacrunner.server.tasks.TaskService;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.web.HttpApi;
import io.iacrunner.server.workspaces.WorkspaceRoutes;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server process: wires every part by constructor, in one place, and owns their lifecycle. */
public final class IacServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IacServer.class);

    private final Database database;
    private final Javalin http;
    private final LeaseMonitor leases;
    private final LogRetention retention;
    private final CredentialFiles credentials;
    private final String host;

    private IacServer(Database database, Javalin http, LeaseMonitor leases, LogRetention retention,
            CredentialFiles credentials, String host) {
        this.database = database;
        this.http = http;
        this.leases = leases;
        this.retention = retention;
        this.credentials = credentials;
        this.host = host;
    }

    public static IacServer start(ServerConfig config) {
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data dir " + config.dataDir().toAbsolutePath(), e);
        }
        Database database = Database.open(config);
        LeaseMonitor leases = null;
        LogRetention retention = null;
        try {
            Jdbi jdbi = database.jdbi();
            Clock clock = Clock.systemUTC();
            Tokens tokens = new Tokens(new SigningKeys(jdbi).load(), clock);
            CredentialFiles credentials = CredentialFiles.ensure(config.dataDir(), tokens);
            Authenticator auth = new Authenticator(tokens);
            WsTickets tickets = new WsTickets(clock);
            Signals<String> queueSignals = new Signals<>();
            Signals<String> taskSignals = new Signals<>();

            TaskStore taskStore = new TaskStore(jdbi, config.maxLogBytes());
            PoolStore poolStore = new PoolStore(jdbi);
            LogStore logStore = new LogStore(jdbi);
            WorkspaceStore workspaceStore = new WorkspaceStore(jdbi);
            ViewerRegistry viewers = new ViewerRegistry();
            LogService logService = new LogService(jdbi, taskStore, logStore, taskSignals, viewers);
            TaskService taskService = new TaskService(jdbi, taskStore, workspaceStore, queueSignals, taskSignals,
                    config.maxLongPoll(), config.lease(), logService::digest);
            leases = new LeaseMonitor(jdbi, taskStore, queueSignals, taskSignals, config.lease())
                    .start(config.pingInterval().dividedBy(2));
            AgentService agentService = new AgentService(jdbi, new AgentStore(jdbi), poolStore, taskStore, tokens, clock,
                    config.pingInterval(), config.lease(), leases);
            StateService stateService = new StateService(jdbi, taskStore, new StateStore(jdbi));

            HttpApi api = new HttpApi(
                    new AgentRoutes(auth, agentService),
                    new TaskRoutes(auth, taskService, agentService),
                    new LogRoutes(auth, tickets, taskService, logService, new LogViewer(taskStore, logStore, taskSignals), viewers),
                    new StateRoutes(auth, stateService),
                    new PoolRoutes(auth, new PoolService(poolStore, tokens)),
                    new WorkspaceRoutes(auth, new WorkspaceService(jdbi, workspaceStore, queueSignals, TaskService.QUEUE)),
                    new AuthRoutes(auth, tickets));
            if (config.logRetention() != null) {
                // Hourly, or more often for a retention shorter than two hours, so a log outlives it by half at most.
                Duration half = config.logRetention().dividedBy(2);
                retention = new LogRetention(jdbi, config.logRetention()).start(half.compareTo(Duration.ofHours(1)) < 0 ? half : Duration.ofHours(1));
            }
            Javalin http = api.create(config.host(), config.port()).start();
            IacServer server = new IacServer(database, http, leases, retention, credentials, config.host());
            log.info("iac-runner server listening on {}", server.baseUrl());
            log.info("admin token: {}", credentials.adminToken());
            log.info("agent token (pool default-pool): {}", credentials.agentToken());
            return server;
        } catch (RuntimeException e) {
            if (leases != null) leases.close();
            if (retention != null) retention.close();
            database.close();
            throw e;
        }
    }

    public int port() {
        return http.port();
    }

    public URI baseUrl() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        return URI.create("http://" + (shown.contains(":") ? "[" + shown + "]" : shown) + ":" + port());
    }

    public Path adminTokenFile() {
        return credentials.adminToken();
    }

    public Path agentTokenFile() {
        return credentials.agentToken();
    }

    @Override
    public void close() {
        http.stop();
        leases.close();
        if (retention != null) retention.close();
        database.close();
        log.info("iac-runner server stopped");
    }
}
