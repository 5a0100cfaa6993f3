package io.iacrunner.server.store;

import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.server.problems.ApiProblem;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the store can be used now, as this server sees it, and the one place that says so in the log: one line when
 * it becomes unavailable, one when it is back, however many requests and background jobs fail in between (requests
 * answer {@code 503 store_unavailable}, jobs wait for their next tick; neither logs).
 *
 * <p>{@link State#LOST} is final: the embedded PostgreSQL could not be restarted, and only a new process can help
 * ({@code /healthz} says so, and the server command exits).
 */
public final class StoreAvailability {
    private static final Logger log = LoggerFactory.getLogger(StoreAvailability.class);
    /** What a client is told while the store is unavailable; it names nothing internal. */
    public static final String MESSAGE = "the store (PostgreSQL) is unavailable right now; try again shortly";
    /** Seconds a client is asked to wait before retrying ({@code Retry-After}). */
    public static final int RETRY_AFTER_SECONDS = 2;

    /** The refusal of a request that needed the store while it is unavailable (HTTP adds {@code Retry-After}). */
    public static ApiProblem refusal() {
        return new ApiProblem(503, ErrorCodes.STORE_UNAVAILABLE, MESSAGE);
    }

    /**
     * PostgreSQL's SQLSTATEs that mean "the server went away or will not take connections", besides class 08
     * (connection exceptions): terminated by an administrator or a shutdown, crash of a backend, starting up or in
     * recovery.
     */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03");

    public enum State {
        AVAILABLE,
        UNAVAILABLE,
        /** Given up: the embedded PostgreSQL could not be restarted. */
        LOST
    }

    private final ReentrantLock lock = new ReentrantLock();
    private State state = State.AVAILABLE;
    private long unavailableSince;

    public State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A request or a job failed with {@code e}: when that is the store being unreachable, it is recorded here (logged
     * once per outage) and true is returned, so the caller answers 503 or waits for its next tick without logging.
     * False: some other failure, the caller's to report.
     */
    public boolean failed(Throwable e) {
        if (!isUnavailable(e)) return false;
        if (!refusedByTheSupervisor(e)) unavailable(describe(e));
        return true;
    }

    /**
     * The store cannot be used; logs {@code why} when it could until now. Returns whether this call logged, so a
     * caller with more to say (the supervisor of the embedded PostgreSQL) can say it once.
     */
    public boolean unavailable(String why) {
        lock.lock();
        try {
            if (state != State.AVAILABLE) return false;
            state = State.UNAVAILABLE;
            unavailableSince = System.nanoTime();
        } finally {
            lock.unlock();
        }
        log.warn("store unavailable: {}; requests answer 503 store_unavailable until it is back", why);
        return true;
    }

    /** The store answers again; logs {@code how} and the outage's length when it was unavailable. */
    public void available(String how) {
        long since;
        lock.lock();
        try {
            if (state != State.UNAVAILABLE) return;
            state = State.AVAILABLE;
            since = unavailableSince;
        } finally {
            lock.unlock();
        }
        log.info(
                "store available again after {} ms: {}",
                Duration.ofNanos(System.nanoTime() - since).toMillis(),
                how);
    }

    /** Given up for good: logs {@code why} once; the state stays {@link State#LOST}. */
    public void lost(String why) {
        lock.lock();
        try {
            if (state == State.LOST) return;
            state = State.LOST;
        } finally {
            lock.unlock();
        }
        log.error("store lost: {}", why);
    }

    /**
     * Whether {@code e} (or a cause) says the store cannot be reached: no connection to be had (the pool's timeout,
     * refused connections), a connection that broke (SQLSTATE class 08), or a server shutting down, crashed or still
     * recovering. A failing statement on a healthy store (a constraint, a timeout, a bug) is not.
     */
    private static boolean refusedByTheSupervisor(Throwable e) {
        int depth = 0;
        for (Throwable c = e; c != null && depth < 20; c = c.getCause(), depth++)
            if (c instanceof PostmasterSupervisor.Refused) return true;
        return false;
    }

    public static boolean isUnavailable(Throwable e) {
        int depth = 0;
        for (Throwable c = e; c != null && depth < 20; c = c.getCause(), depth++) {
            if (c instanceof SQLTransientConnectionException || c instanceof SQLNonTransientConnectionException)
                return true;
            if (c instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || UNAVAILABLE_STATES.contains(state))) return true;
            }
        }
        return false;
    }

    /** One line for the log: the driver's or the pool's own words, without class names or stack. */
    static String describe(Throwable e) {
        SQLException deepest = null;
        int depth = 0;
        for (Throwable c = e; c != null && depth < 20; c = c.getCause(), depth++) {
            if (c instanceof SQLException sql && sql.getMessage() != null) deepest = sql;
        }
        String message = deepest != null ? deepest.getMessage() : String.valueOf(e.getMessage());
        return message.lines().findFirst().orElse("").strip();
    }
}
