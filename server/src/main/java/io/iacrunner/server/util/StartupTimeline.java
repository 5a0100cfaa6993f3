package io.iacrunner.server.util;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * Where a server's start went, phase by phase, for the one line it logs when it serves: a slow start is a longer
 * outage for every agent waiting on it, so an operator (and {@code bench/run startup}) can see which phase to blame.
 */
public final class StartupTimeline {
    private final long began = System.nanoTime();
    private long last = began;
    private final StringJoiner phases = new StringJoiner(", ");

    /** Ends the phase that ran since the last mark (or the start). */
    public void mark(String phase) {
        long now = System.nanoTime();
        phases.add(phase + " " + millis(now - last));
        last = now;
    }

    /** Like {@code 2.1 s (store 1.4 s, migrations 0.3 s, ...)}. */
    public String summary() {
        return millis(last - began) + " (" + phases + ")";
    }

    private static String millis(long nanos) {
        return nanos >= 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f s", nanos / 1e9)
                : String.format(Locale.ROOT, "%d ms", nanos / 1_000_000);
    }
}
