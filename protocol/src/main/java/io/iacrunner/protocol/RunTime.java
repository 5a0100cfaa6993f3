package io.iacrunner.protocol;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A run's maximum duration as people write it and the wire carries it: hours, minutes and seconds in that order,
 * each at most once, like {@code 20s}, {@code 30m}, {@code 2h} or {@code 1h30m}. One reading for the CLI and the
 * server, so both refuse the same input with the same words.
 */
public final class RunTime {
    public static final Duration MIN = Duration.ofSeconds(1);
    /** Thirty days: longer than any apply, short enough that a forgotten run still ends. */
    public static final Duration MAX = Duration.ofDays(30);
    /** A pool's when nobody set one. */
    public static final Duration POOL_DEFAULT = Duration.ofHours(2);

    private static final Pattern FORMAT = Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,8})m)?(?:(\\d{1,10})s)?");

    private RunTime() {}

    /** @throws IllegalArgumentException naming what is wrong, e.g. {@code 2 hours} */
    public static Duration parse(String text) {
        String value = text == null ? "" : text.strip();
        Matcher m = FORMAT.matcher(value);
        if (value.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration like 20s, 30m, 2h or 1h30m");
        }
        Duration d = Duration.ZERO;
        if (m.group(1) != null) d = d.plusHours(Long.parseLong(m.group(1)));
        if (m.group(2) != null) d = d.plusMinutes(Long.parseLong(m.group(2)));
        if (m.group(3) != null) d = d.plusSeconds(Long.parseLong(m.group(3)));
        if (d.compareTo(MIN) < 0 || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("'" + text + "' is outside 1s to " + format(MAX));
        }
        return d;
    }

    /** The shortest spelling: {@code 7200} s is {@code 2h}, {@code 5400} s is {@code 1h30m}. */
    public static String format(Duration d) {
        long s = d.toSeconds();
        StringBuilder out = new StringBuilder();
        if (s / 3600 > 0) out.append(s / 3600).append('h');
        if (s % 3600 / 60 > 0) out.append(s % 3600 / 60).append('m');
        if (s % 60 > 0 || out.isEmpty()) out.append(s % 60).append('s');
        return out.toString();
    }
}
