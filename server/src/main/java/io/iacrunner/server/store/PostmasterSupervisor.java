package io.iacrunner.server.store;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the embedded PostgreSQL running: watches its postmaster, and when it dies restarts it on the same data dir
 * and port (saying so in one line), or, when a few attempts within a bounded time fail, gives up and tells the server,
 * whose process should then be replaced ({@code /healthz} fails, the server command exits non-zero).
 *
 * <p>It polls the postmaster's {@code /proc} entry every {@link #POLL}: {@link ProcessHandle#onExit()} is no use
 * here, because the postmaster is not this process's child (it polls it with growing sleeps of up to 5 s) and a dead
 * postmaster nobody reaps stays a zombie that it counts as alive.
 *
 * <p>While the postmaster is down {@link #down()} is true: the store's connection factory then refuses at once, so
 * requests answer 503 without waiting for the pool.
 */
final class PostmasterSupervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostmasterSupervisor.class);
    static final Duration POLL = Duration.ofMillis(200);

    /**
     * How hard to try: {@code attempts} starts, each waiting up to {@code startWait} for PostgreSQL to accept
     * connections (crash recovery included), {@code backoff} apart, doubling.
     */
    record Policy(int attempts, Duration startWait, Duration backoff) {
        static final Policy DEFAULT = new Policy(3, Duration.ofSeconds(60), Duration.ofSeconds(1));
    }

    private final EmbeddedPostgresProcess postgres;
    private final StoreAvailability availability;
    private final Runnable dropConnections;
    private final Runnable awaitConnection;
    private final Consumer<String> gaveUp;
    private final Policy policy;
    private final Thread watcher;
    private volatile boolean down;

    /**
     * A connection refused because the postmaster is down. The supervisor reports the outage's start and end itself:
     * a request refused just before the restart may fail after the end was said, and must not report a new outage.
     */
    static final class Refused extends java.sql.SQLTransientConnectionException {
        private static final long serialVersionUID = 1L;

        Refused() {
            super("the embedded PostgreSQL is not running (it died; see the server log)", "08001");
        }
    }

    private volatile boolean closed;

    /**
     * @param dropConnections run when the postmaster died: every pooled connection is dead, so the pool should close
     *     them now rather than find out one request at a time
     * @param awaitConnection run when the postmaster is back, before requests may pass: returns once the pool holds a
     *     working connection again (on a loaded machine the first one can take longer than a request's wait for it)
     * @param gaveUp told why, once, when the postmaster cannot be restarted
     */
    PostmasterSupervisor(
            EmbeddedPostgresProcess postgres,
            StoreAvailability availability,
            Runnable dropConnections,
            Runnable awaitConnection,
            Consumer<String> gaveUp,
            Policy policy) {
        this.postgres = postgres;
        this.availability = availability;
        this.dropConnections = dropConnections;
        this.awaitConnection = awaitConnection;
        this.gaveUp = gaveUp;
        this.policy = policy;
        this.watcher = Thread.ofPlatform().daemon().name("postgres-supervisor").unstarted(this::watch);
    }

    PostmasterSupervisor start() {
        watcher.start();
        return this;
    }

    /** True while the postmaster is dead: being restarted, or given up. */
    boolean down() {
        return down;
    }

    private void watch() {
        try {
            while (!closed) {
                Thread.sleep(POLL);
                if (closed || postgres.postmaster().alive()) continue;
                if (!recover()) return;
            }
        } catch (InterruptedException e) {
            // Closing.
        }
    }

    /** The postmaster died: restart it; false when given up. */
    private boolean recover() throws InterruptedException {
        down = true;
        long died = System.nanoTime();
        EmbeddedPostgresProcess.Postmaster dead = postgres.postmaster();
        String why = "the embedded PostgreSQL (pid " + dead.pid() + ") exited unexpectedly; restarting it on port "
                + postgres.port();
        if (!availability.unavailable(why)) log.warn(why);
        dropConnections.run();
        String failure = null;
        Duration backoff = policy.backoff();
        for (int attempt = 1; attempt <= policy.attempts() && !closed; attempt++) {
            try {
                postgres.restart(policy.startWait());
                awaitConnection.run();
                // Requests pass again before the end is said: said first, a request refused in between (still
                // "down") reported a second outage. The store probe may now say the end first; it is said once.
                down = false;
                availability.available("the embedded PostgreSQL was restarted (pid "
                        + postgres.postmaster().pid() + ", "
                        + Duration.ofNanos(System.nanoTime() - died).toMillis() + " ms after it died"
                        + (attempt > 1 ? ", attempt " + attempt : "") + ")");
                return true;
            } catch (IOException e) {
                if (closed) return false;
                failure = e.getMessage();
                log.warn(
                        "restarting the embedded PostgreSQL, attempt {} of {}, failed: {}",
                        attempt,
                        policy.attempts(),
                        failure);
            }
            if (attempt < policy.attempts()) {
                Thread.sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
        if (closed) return false;
        String reason = "the embedded PostgreSQL died and could not be restarted (" + policy.attempts()
                + " attempts in " + Duration.ofNanos(System.nanoTime() - died).toSeconds() + " s); last: " + failure;
        availability.lost(reason);
        gaveUp.accept(reason);
        return false;
    }

    /** Stops watching (before the postmaster is stopped on purpose); waits for a restart in progress to end. */
    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(policy.startWait().plusSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
