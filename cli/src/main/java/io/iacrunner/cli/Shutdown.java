package io.iacrunner.cli;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps of a shutdown hook with a time limit each: a JVM exits only when its hooks return, so a step that hangs
 * (an agent waiting for a task that can no longer report) must not keep the process alive forever.
 */
final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

    private Shutdown() {}

    /** Runs {@code step} and waits at most {@code limit} for it; returns whether it finished in time. */
    static boolean bounded(String what, Duration limit, Runnable step) {
        Thread worker = Thread.ofPlatform()
                .name("shutdown-" + what)
                .daemon(true)
                .unstarted(() -> {
                    try {
                        step.run();
                    } catch (RuntimeException e) {
                        log.warn("{} failed while stopping", what, e);
                    }
                });
        worker.start();
        try {
            if (worker.join(limit)) return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.warn("{} did not stop within {} s; going on without it", what, limit.toSeconds());
        return false;
    }

    static final Duration SERVER_LIMIT = Duration.ofSeconds(30);
}
