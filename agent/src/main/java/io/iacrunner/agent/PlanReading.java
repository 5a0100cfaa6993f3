package io.iacrunner.agent;

import io.iacrunner.protocol.PlanSummary;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * An attempt's plan summary, read ({@code terraform show -json} of the plan file) and reported to the server on a
 * thread of its own. Reading is a second Terraform process, which loads the providers again: a large part of a small
 * run. So nothing after the plan waits for it (Terraform's plan exit code has already said whether there is anything to
 * apply): an apply that needs no review runs meanwhile, a plan is stored meanwhile. What has to wait is the result,
 * and a run's wait for confirmation, which is a result: the server has the summary before either ({@link #reported}).
 *
 * <p>The thread that starts {@code terraform show} waits for it, because a sandbox dies with the thread that started
 * it (bubblewrap's {@code --die-with-parent}); {@link #close} stops it and waits for its end, so it never outlives the
 * task directory.
 */
final class PlanReading implements AutoCloseable {
    /** Reads the summary; null when it cannot be told (which costs only the summary). */
    interface Read {
        PlanSummary read() throws InterruptedException;
    }

    /** Reports it to the server. */
    interface Report {
        void send(PlanSummary summary) throws StaleAttemptException, InterruptedException;
    }

    private final FutureTask<Void> reading;
    private final Thread thread;

    private PlanReading(FutureTask<Void> reading, Thread thread) {
        this.reading = reading;
        this.thread = thread;
    }

    static PlanReading start(Read read, Report report, String label) {
        FutureTask<Void> reading = new FutureTask<>(() -> {
            PlanSummary summary = read.read();
            if (summary != null) report.send(summary);
            return null;
        });
        return new PlanReading(
                reading,
                Thread.ofPlatform().daemon().name("plan-summary-" + label).start(reading));
    }

    /**
     * Waits until the server has the summary, or it could not be told.
     *
     * @throws io.iacrunner.protocol.ApiException the server refused it
     */
    void reported() throws StaleAttemptException, InterruptedException {
        try {
            reading.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case StaleAttemptException stale -> throw stale;
                case InterruptedException interrupted -> throw interrupted;
                case RuntimeException refused -> throw refused;
                default -> throw new IllegalStateException(e.getCause());
            }
        } catch (CancellationException e) {
            throw new IllegalStateException("the plan summary was waited for after close", e);
        }
    }

    /** Stops reading if it still runs (the attempt ended without its summary) and waits for the thread's end. */
    @Override
    public void close() {
        reading.cancel(true);
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
