package io.iacrunner.server.ops;

import io.iacrunner.server.cluster.Relay;
import io.iacrunner.server.store.Database;
import io.iacrunner.server.store.StoreAvailability;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code /readyz}: ready to serve when the store answers within {@link #STORE_TIMEOUT} and holds this server's schema
 * (its migrations are done), and the server is not shutting down. Redis is reported but does not decide: without it
 * replicas still serve correctly, only live views degrade to polling.
 *
 * <p>{@code /healthz} asks {@link #alive()}: the process is worth keeping unless it has given up on its store (the
 * embedded PostgreSQL could not be restarted), which only a new process can mend.
 */
public final class Readiness {
    static final Duration STORE_TIMEOUT = Duration.ofSeconds(3);

    /** The body of {@code /readyz}; {@code ready} decides between 200 and 503. */
    public record Report(boolean ready, Map<String, String> checks) {}

    private final Database database;
    private final Drain drain;
    private final Relay relay;

    public Readiness(Database database, Drain drain, Relay relay) {
        this.database = database;
        this.drain = drain;
        this.relay = relay;
    }

    /** False once the server has given up on its store: then only a restart of the process helps. */
    public boolean alive() {
        return database.availability().state() != StoreAvailability.State.LOST;
    }

    public Report check() {
        Map<String, String> checks = new LinkedHashMap<>();
        String store = store();
        checks.put("store", store);
        checks.put("schema_version", database.schemaVersion());
        checks.put("redis", relay.status());
        checks.put("shutting_down", Boolean.toString(drain.draining()));
        return new Report(store.equals("ok") && !drain.draining(), checks);
    }

    /** Bounded: a store that hangs must not hang the probe (the pool would wait its full connection timeout). */
    private String store() {
        if (!alive()) return "lost";
        CompletableFuture<Boolean> answer = CompletableFuture.supplyAsync(
                database::ready, r -> Thread.ofVirtual().name("readiness").start(r));
        try {
            return answer.get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) ? "ok" : "migrations_pending";
        } catch (TimeoutException e) {
            return "timeout";
        } catch (ExecutionException e) {
            return database.availability().failed(e.getCause()) ? "unavailable" : "error";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
