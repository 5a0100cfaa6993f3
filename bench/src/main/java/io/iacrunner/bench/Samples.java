package io.iacrunner.bench;

import java.util.Arrays;
import java.util.Locale;

/** Measured values, sorted once, with the order statistics the sections report and their formatting. */
record Samples(double[] sorted) {
    static Samples of(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return new Samples(copy);
    }

    static Samples of(java.util.List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile: a value that was actually measured, never an interpolation. */
    double percentile(double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    double median() {
        int n = sorted.length;
        if (n == 0) return Double.NaN;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    double mean() {
        return Arrays.stream(sorted).average().orElse(Double.NaN);
    }

    double min() {
        return sorted.length == 0 ? Double.NaN : sorted[0];
    }

    double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    /** Milliseconds with about three significant digits. */
    static String ms(double v) {
        if (Double.isNaN(v)) return "n/a";
        return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f ms" : Math.abs(v) < 100 ? "%.1f ms" : "%.0f ms", v);
    }

    /** {@code a / b} with two significant digits below 10 (0.42, 3.1), none after the point above (13). */
    static String ratio(double a, double b) {
        if (b <= 0 || Double.isNaN(a) || Double.isNaN(b)) return "n/a";
        double r = a / b;
        return String.format(Locale.ROOT, r < 1 ? "%.2f" : r < 10 ? "%.1f" : "%.0f", r);
    }

    /** A count with thousands separators: 200,000. */
    static String count(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /**
     * The start of a table row for one mode of a throughput benchmark: {@code | label | rounds | **median rate** |
     * slowest – fastest | median time | p99 time}, without the closing {@code |}, so a table may add columns.
     */
    static String rateRow(String label, Samples rates, Samples times) {
        return "| " + label + " | " + rates.count() + " | **" + count(rates.median()) + "** | " + count(rates.min())
                + " – " + count(rates.max()) + " | " + ms(times.median()) + " | " + ms(times.percentile(99));
    }

    /** A table row for one mode of a timed benchmark: {@code | label | runs | **median** | fastest – slowest |}. */
    static String timeRow(String label, Samples times) {
        return "| " + label + " | " + times.count() + " | **" + ms(times.median()) + "** | " + ms(times.min()) + " – "
                + ms(times.max()) + " |";
    }
}
