package io.iacrunner.server.tasks;

import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Signals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Which of the pulls waiting on this replica a signal of the queue topic wakes: as many as the change can use, not
 * all of them, so that the work per queued task does not grow with the number of idle agents.
 *
 * <p>The keys of the queue topic: a task id (that task was queued: one pull is woken for it), {@link TaskService#QUEUE}
 * (one more task may have become claimable, a workspace lock was released, say: one pull is woken), or
 * {@link #cancelKey} (a cancel order waits for that agent: its own pulls are woken, all of them). They come from this
 * replica or, through the relay, from the others; each replica wakes its own pulls for them.
 *
 * <p>A wake goes to the pull whose last look at the store is the oldest, among those that have not looked since the
 * wake was given (a look that began later saw the change already, and found nothing in it for its agent). The woken
 * pull looks; a look that leaves the wake unused passes it on the same way: a task wake that did not claim its task
 * while the task is still queued (its agent could not run it: labels, pool, slots), or a queue wake that claimed
 * nothing while something is still queued. So no queued task waits while a pull here that could take it sleeps, and a
 * task nobody can run now costs one look per waiting pull, once, instead of one per pull on every signal.
 *
 * <p>The store stays the only source of truth: a wake only says "look again".
 */
final class PullWakes implements Signals.Listener<String> {
    private static final String CANCEL = "cancel:";

    /** The store's answers a wake's pass-on depends on. */
    interface Queue {
        boolean isQueued(String taskId);

        boolean anyQueued();
    }

    /** One wake: {@code seq} orders it against looks; {@code taskId} null for a queue wake. */
    record Wake(long seq, String taskId) {}

    private final Signals<String> transport;
    private final Queue queue;
    private final ReentrantLock lock = new ReentrantLock();
    /** Pulls that have looked at least once, in the order of their last look: the oldest first. */
    private final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
    /** Wakes given here so far: a look that begins at {@code seq} has seen every change woken for up to it. */
    private long seq;

    PullWakes(Signals<String> transport, Queue queue) {
        this.transport = transport;
        this.queue = queue;
        transport.listen(this);
    }

    /** The key that wakes {@code agentId}'s pulls so a cancel order goes out at once. */
    static String cancelKey(String agentId) {
        return CANCEL + agentId;
    }

    Waiter waiter(String agentId) {
        return new Waiter(agentId);
    }

    @Override
    public void signaled(String key) {
        if (key.startsWith(CANCEL)) {
            String agentId = key.substring(CANCEL.length());
            poke(w -> w.agentId.equals(agentId));
        } else {
            lock.lock();
            try {
                give(new Wake(++seq, Ids.isTask(key) ? key : null));
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void all() {
        poke(w -> true);
    }

    private void poke(Predicate<Waiter> which) {
        lock.lock();
        try {
            for (Waiter w : waiters) {
                if (which.test(w)) {
                    w.poked = true;
                    w.woken.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * To the pull whose last look is the oldest of those before the wake, preferring one that holds no wake yet;
     * nobody when every pull has looked since (none found anything in it for itself). Holding the lock.
     */
    private void give(Wake wake) {
        Waiter holding = null;
        for (Waiter w : waiters) {
            if (w.lookedAt >= wake.seq()) break; // in look order: all the rest looked later still
            if (w.wakes.isEmpty()) {
                w.wake(wake);
                return;
            }
            if (holding == null) holding = w;
        }
        if (holding != null) holding.wake(wake);
    }

    private void passOn(List<Wake> unused) {
        if (unused.isEmpty()) return;
        lock.lock();
        try {
            unused.forEach(this::give);
        } finally {
            lock.unlock();
        }
    }

    /** One pull's place among the waiters. Used by its own thread only, but woken by any. */
    final class Waiter implements AutoCloseable {
        private final String agentId;
        private final Condition woken = lock.newCondition();
        /** Wakes given to this pull that its next look covers. */
        private final List<Wake> wakes = new ArrayList<>();
        /** Wakes the current look covers, until {@link #settle} says what became of them. */
        private List<Wake> looking = List.of();

        private long lookedAt;
        private boolean poked;
        private boolean closed;

        private Waiter(String agentId) {
            this.agentId = agentId;
        }

        /** Holding the lock. */
        private void wake(Wake wake) {
            wakes.add(wake);
            woken.signal();
        }

        /** Call before each look at the store: the look covers every wake given so far. */
        void look() {
            lock.lock();
            try {
                lookedAt = seq;
                waiters.remove(this);
                waiters.add(this);
                looking = List.copyOf(wakes);
                wakes.clear();
                poked = false;
            } finally {
                lock.unlock();
            }
        }

        /** Call after the look with what it claimed: wakes it did not use go on to another pull. */
        void settle(Collection<String> claimed) {
            List<Wake> unused = new ArrayList<>();
            for (Wake w : looking) {
                boolean used = w.taskId() == null
                        ? !claimed.isEmpty() || !queue.anyQueued()
                        : claimed.contains(w.taskId()) || !queue.isQueued(w.taskId());
                if (!used) unused.add(w);
            }
            looking = List.of();
            passOn(unused);
        }

        /**
         * Waits until woken or {@code max} elapses (at most {@link Signals#DEGRADED_POLL} while signals from other
         * replicas may be missed); true when woken.
         */
        boolean await(Duration max) throws InterruptedException {
            long nanos = transport.cappedWait(max).toNanos();
            lock.lock();
            try {
                while (wakes.isEmpty() && !poked) {
                    if (nanos <= 0) return false;
                    nanos = woken.awaitNanos(nanos);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Leaves the waiters; what this pull was woken for and did not look at, or did not settle, goes on. */
        @Override
        public void close() {
            List<Wake> unused = new ArrayList<>();
            lock.lock();
            try {
                if (closed) return;
                closed = true;
                waiters.remove(this);
                unused.addAll(looking);
                unused.addAll(wakes);
                wakes.clear();
            } finally {
                lock.unlock();
            }
            looking = List.of();
            passOn(unused);
        }
    }
}
