package io.iacrunner.server.util;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Agent versions compared as their leading dotted numbers ({@code 1.10.2-SNAPSHOT} is 1.10.2, newer than 1.9): what a
 * pool's {@code min_agent_version} is held against. A version without a leading number (a {@code dev} build, or none
 * at all) cannot be shown to be new enough, so it counts as older than any minimum.
 */
public final class AgentVersion {
    private static final Pattern LEADING = Pattern.compile("^v?(\\d+(?:\\.\\d+)*)");
    /** What a pool's minimum must look like. */
    public static final Pattern MINIMUM = Pattern.compile("\\d{1,9}(\\.\\d{1,9}){0,3}");

    private AgentVersion() {}

    /** Whether {@code version} is at least {@code minimum} (a {@link #MINIMUM}); any version is when it is null. */
    public static boolean atLeast(String version, String minimum) {
        if (minimum == null) return true;
        List<Long> have = numbers(version);
        if (have.isEmpty()) return false;
        List<Long> need = numbers(minimum);
        for (int i = 0; i < Math.max(have.size(), need.size()); i++) {
            long a = i < have.size() ? have.get(i) : 0;
            long b = i < need.size() ? need.get(i) : 0;
            if (a != b) return a > b;
        }
        return true;
    }

    private static List<Long> numbers(String version) {
        List<Long> parts = new ArrayList<>();
        if (version == null) return parts;
        Matcher m = LEADING.matcher(version.trim());
        if (!m.find()) return parts;
        for (String p : m.group(1).split("\\.")) {
            try {
                parts.add(Long.parseLong(p));
            } catch (NumberFormatException e) {
                parts.add(Long.MAX_VALUE); // absurdly long: newer than anything a minimum can name
            }
        }
        return parts;
    }
}
