package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.ApiFailures;
import io.iacrunner.agent.util.Backoff;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.agent.util.OutageLog;
import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.Transport;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's identity on the server: the pool token is exchanged for an agent id and token at registration; the
 * token is renewed through ping replies, and the whole registration is redone when the server stops accepting it.
 *
 * <p>The identity is kept in the work directory ({@link SavedIdentity}), so an agent restarted after a crash comes
 * back as the same agent, whose unfinished attempts are still its own: it can upload their spooled logs and report
 * them ({@link SpoolRecovery}). A server that no longer accepts the saved identity gets a fresh registration.
 *
 * <p>Every caller that sees its token refused passes the {@link #generation()} it sent with to {@link #renew}, so
 * when the ping and pull loops and a few tasks all hit the same 401, the agent registers once, not once per caller.
 */
final class AgentSession implements Credentials {
    private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration MAX_RETRY = Duration.ofSeconds(10);

    private static final int DEREGISTER_TRIES = 3;
    private static final Duration DEREGISTER_TIMEOUT = Duration.ofSeconds(5);

    private record Registration(
            String agentId,
            String token,
            PoolConfig pool,
            int pingIntervalSeconds,
            int leaseSeconds,
            long generation) {}

    private final URI server;
    private final Path tokenFile;
    private final SavedIdentity saved;
    private final RegisterRequest identity;
    private final ApiClient registrationApi;
    private final ApiClient api;
    private final AgentClock clock;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final OutageLog renewals = new OutageLog(log, "re-registration");
    private volatile String poolToken;
    private volatile Registration current;
    private volatile long registeredAt;

    /**
     * @param servers the server's replicas, the first one being the one the identity is saved under
     * @param saved where the identity is kept between runs
     * @param clock what the retries wait on, and the start of each lease is read from
     */
    AgentSession(
            List<URI> servers,
            Path tokenFile,
            RegisterRequest identity,
            SavedIdentity saved,
            Transport transport,
            AgentClock clock) {
        this.server = servers.getFirst();
        this.clock = clock;
        this.tokenFile = tokenFile;
        this.saved = saved;
        this.identity = identity;
        this.registrationApi = new ApiClient(servers, () -> poolToken, transport);
        this.api = registrationApi.withToken(this::agentToken);
    }

    /**
     * First registration: waits out an unreachable or restarting server, but a refusal (a bad pool token) is final.
     *
     * @return false when {@code abort} fired before the server answered
     */
    synchronized boolean register(CountDownLatch abort) throws InterruptedException {
        Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY);
        OutageLog outage = new OutageLog(log, "registration with " + server);
        SavedIdentity.Identity previous = saved.load(server).orElse(null);
        // An identity whose token expired while the agent was down can still be resumed through registration.
        String formerToken = previous == null ? null : previous.agentToken();
        while (true) {
            try {
                if (previous != null && resume(previous)) {
                    outage.recovered();
                    return true;
                }
                previous = null;
                registerOnce(formerToken);
                outage.recovered();
                return true;
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the pool token from " + tokenFile + ": " + e, e);
            } catch (ApiException e) {
                if (!e.isTransient()) throw new IllegalStateException("the server refused registration: " + e, e);
                outage.failed(e);
            }
            if (clock.await(abort, backoff.next())) return false;
        }
    }

    /**
     * Registers again unless someone already did since {@code generationSeen}. Unlike the first registration this
     * never gives up on its own (the token file may be fixed, the server may come back) until {@link #stop()}. The
     * refused token goes along: when it merely expired (a long outage), the server gives the agent its own id back,
     * and the attempts it still runs stay its own.
     */
    @Override
    public synchronized void renew(long generationSeen) {
        if (generation() != generationSeen) return;
        String previous = agentId();
        String formerToken = agentToken();
        Backoff backoff = new Backoff(FIRST_RETRY, MAX_RETRY);
        while (stopped.getCount() > 0) {
            try {
                registerOnce(formerToken);
                renewals.recovered();
                if (agentId().equals(previous))
                    log.info("registered again as the same agent {} (its token had expired)", previous);
                else log.info("registered again as agent {} (the server no longer accepted {})", agentId(), previous);
                return;
            } catch (IOException | ApiException e) {
                renewals.failed(e);
            }
            try {
                if (clock.await(stopped, backoff.next())) return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Comes back as the saved agent: one ping with its token renews its lease and brings the pool's settings.
     *
     * @return false when the server no longer accepts that agent (deregistered, forgotten, or the token expired)
     */
    private boolean resume(SavedIdentity.Identity previous) {
        long sentAt = clock.nanoTime();
        current = new Registration(
                previous.agentId(),
                previous.agentToken(),
                null,
                previous.pingIntervalSeconds(),
                previous.leaseSeconds(),
                1);
        PingReply reply;
        try {
            reply = api.post(
                    ApiPaths.AGENT_PING,
                    new AgentPing(
                            previous.agentId(),
                            false,
                            0,
                            0,
                            false,
                            List.of(),
                            0,
                            0,
                            identity.version(),
                            identity.isolation(),
                            false),
                    PingReply.class);
        } catch (ApiException e) {
            current = null;
            if (!ApiFailures.agentRejected(e)) throw e;
            log.info("the server no longer accepts agent {} ({}); registering anew", previous.agentId(), e.toString());
            saved.forget();
            return false;
        }
        if (reply == null || reply.pool() == null) {
            current = null;
            throw new ApiException(200, ErrorCodes.BAD_REPLY, "the ping reply lacks the pool");
        }
        current = new Registration(
                previous.agentId(),
                reply.agentToken() != null ? reply.agentToken() : previous.agentToken(),
                reply.pool(),
                previous.pingIntervalSeconds(),
                reply.leaseSeconds() > 0 ? reply.leaseSeconds() : previous.leaseSeconds(),
                1);
        registeredAt = sentAt;
        save();
        log.info("resumed as agent {} (saved in {})", previous.agentId(), saved.file());
        return true;
    }

    private void save() {
        Registration r = current;
        saved.store(new SavedIdentity.Identity(
                server.toString(), r.agentId(), r.token(), r.pingIntervalSeconds(), r.leaseSeconds()));
    }

    /** @param formerToken the agent token last held, so that the server may give the same agent id back; null: none */
    private void registerOnce(String formerToken) throws IOException {
        poolToken = Files.readString(tokenFile).trim(); // read each time: an operator may rotate it
        long sentAt = clock.nanoTime();
        RegisterRequest request = new RegisterRequest(
                identity.name(), identity.version(), identity.hostname(), identity.isolation(), formerToken);
        RegisterResponse reply = registrationApi.post(ApiPaths.AGENT_REGISTER, request, RegisterResponse.class);
        if (reply == null || reply.agentId() == null || reply.agentToken() == null || reply.pool() == null) {
            throw new ApiException(200, ErrorCodes.BAD_REPLY, "registration reply lacks agent_id, agent_token or pool");
        }
        Registration previous = current;
        current = new Registration(
                reply.agentId(),
                reply.agentToken(),
                reply.pool(),
                reply.pingIntervalSeconds(),
                reply.leaseSeconds(),
                previous == null ? 1 : previous.generation() + 1);
        registeredAt = sentAt;
        save();
    }

    /**
     * Takes the pool settings and a renewed token from a ping reply, unless the agent registered again while the
     * ping was under way: that reply belongs to the previous identity.
     */
    synchronized void adopt(PingReply reply, long generationSeen) {
        Registration r = current;
        if (r == null || r.generation() != generationSeen) return;
        PoolConfig pool = reply.pool() != null ? reply.pool() : r.pool();
        if (reply.agentToken() != null) {
            current = new Registration(
                    r.agentId(),
                    reply.agentToken(),
                    pool,
                    r.pingIntervalSeconds(),
                    r.leaseSeconds(),
                    r.generation() + 1);
            save();
        } else {
            current = new Registration(
                    r.agentId(), r.token(), pool, r.pingIntervalSeconds(), r.leaseSeconds(), r.generation());
        }
    }

    /**
     * Ends any re-registration in progress and allows no new one; called on shutdown once the tasks are done, before
     * {@link #deregister()}, so a ping the server refuses after that cannot bring the agent back.
     */
    void stop() {
        stopped.countDown();
    }

    /**
     * Tells the server the agent is leaving (its tasks have all reported), so it need not wait out the lease. A few
     * quick tries; after that the lease ends the agent on the server anyway.
     */
    void deregister() throws InterruptedException {
        if (current == null) return;
        Backoff backoff = new Backoff(FIRST_RETRY, Duration.ofSeconds(1));
        for (int attempt = 1; ; attempt++) {
            try {
                api.post(ApiPaths.AGENT_DEREGISTER, Map.of(), Void.class, DEREGISTER_TIMEOUT);
                saved.forget(); // the server no longer knows it: the next run registers anew
                log.info("deregistered agent {}", agentId());
                return;
            } catch (ApiException e) {
                if (attempt == DEREGISTER_TRIES || !e.isTransient()) {
                    log.warn(
                            "could not deregister agent {} ({}); the server will let its lease run out",
                            agentId(),
                            e.toString());
                    return;
                }
            }
            clock.sleep(backoff.next());
        }
    }

    /** The client for everything after registration; it always sends the current agent token. */
    @Override
    public ApiClient api() {
        return api;
    }

    @Override
    public long generation() {
        Registration r = current;
        return r == null ? 0 : r.generation();
    }

    /** How this agent isolates its tasks, as it tells the server on every ping. */
    io.iacrunner.protocol.Isolation isolation() {
        return identity.isolation();
    }

    String agentId() {
        Registration r = current;
        return r == null ? null : r.agentId();
    }

    PoolConfig pool() {
        return current.pool();
    }

    /** The clock's {@link AgentClock#nanoTime()} when the last successful registration was sent: when its lease began. */
    long registeredAt() {
        return registeredAt;
    }

    /** What registration said about the lease; ping replies may change it (see {@link Lease}). */
    int leaseSeconds() {
        Registration r = current;
        return r == null ? 0 : r.leaseSeconds();
    }

    Duration pingInterval() {
        int seconds = current.pingIntervalSeconds();
        return Duration.ofSeconds(seconds > 0 ? seconds : 10);
    }

    private String agentToken() {
        Registration r = current;
        return r == null ? null : r.token();
    }
}
