package io.iacrunner.server.ops;

import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Graceful shutdown of the HTTP side: once {@link #begin()} is called new requests are refused with {@code 503
 * server_shutting_down} (agents then try their next server; a load balancer sees {@code /readyz} fail), while
 * requests already in flight are counted down until {@link #awaitIdle} returns.
 */
public final class Drain {
    /** Answered even while draining: probes and scrapes must see the replica until it is gone. */
    private final Set<String> alwaysServed;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private static final String COUNTED = "iac.drain.counted";
    private int inFlight;
    private volatile boolean draining;

    public Drain(Set<String> alwaysServed) {
        this.alwaysServed = Set.copyOf(alwaysServed);
    }

    /** Before each request: refuse it while draining, else count it in flight. */
    public void enter(Context ctx) {
        if (alwaysServed.contains(ctx.path())) return;
        lock.lock();
        try {
            if (draining) {
                ctx.header("Connection", "close");
                throw new ApiProblem(
                        503, ErrorCodes.SERVER_SHUTTING_DOWN, "this server is shutting down; retry on another replica");
            }
            inFlight++;
        } finally {
            lock.unlock();
        }
        ctx.attribute(COUNTED, Boolean.TRUE);
    }

    /** After each request, however it ended. */
    public void exit(Context ctx) {
        if (ctx.attribute(COUNTED) == null) return;
        lock.lock();
        try {
            if (--inFlight == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public void begin() {
        lock.lock();
        try {
            draining = true;
        } finally {
            lock.unlock();
        }
    }

    public boolean draining() {
        return draining;
    }

    /** Waits until no request is in flight or {@code grace} has passed; true when idle. */
    public boolean awaitIdle(Duration grace) throws InterruptedException {
        long nanos = grace.toNanos();
        lock.lock();
        try {
            while (inFlight > 0) {
                if (nanos <= 0) return false;
                nanos = idle.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Requests in flight now (for the shutdown log). */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }
}
