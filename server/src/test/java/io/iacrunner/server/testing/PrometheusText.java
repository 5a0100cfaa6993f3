package io.iacrunner.server.testing;

import java.util.Optional;

/** Reads values out of a Prometheus text exposition, as a scraper would. */
public final class PrometheusText {
    private final String text;

    public PrometheusText(String text) {
        this.text = text;
    }

    /** The value of one series, written as it appears: {@code iac_queue_depth{pool="p"}}, {@code iac_log_viewers}. */
    public Optional<Double> find(String series) {
        return text.lines()
                .filter(l -> l.startsWith(series + " "))
                .findFirst()
                .map(l -> Double.parseDouble(
                        l.substring(series.length() + 1).trim().split(" ")[0]));
    }

    public double value(String series) {
        return find(series).orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + text));
    }

    /** Whether some series of that metric name is there. */
    public boolean has(String name) {
        return text.lines().anyMatch(l -> l.startsWith(name + " ") || l.startsWith(name + "{"));
    }

    @Override
    public String toString() {
        return text;
    }
}
