package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What must never appear in a log, derived from a task's {@code sensitive_variables}: the one definition the agent
 * (masking the raw output stream) and the server (masking each stored line again) both use.
 *
 * <p>For each value (a JSON string's text; the JSON text of a number, boolean, object or array, and for objects and
 * arrays also each string inside them, since Terraform prints those, not the compact JSON):
 * <ul>
 *   <li>the value with surrounding whitespace stripped, when that is at least {@value #MIN_VALUE} characters (shorter
 *       values would mask every "a" or "1" in the log; they are reported in {@link Patterns#tooShort()});</li>
 *   <li>for a value of several lines, also each of its lines, stripped, when at least {@value #MIN_FRAGMENT}
 *       characters: Terraform may print a multi-line value re-indented, one line at a time (a heredoc). Shorter lines
 *       ("}", "-----", "true") are left alone: masking them would wreck ordinary output.</li>
 * </ul>
 */
public final class SensitiveValues {
    public static final String MASK = "***";
    public static final int MIN_VALUE = 3;
    public static final int MIN_FRAGMENT = 8;

    private SensitiveValues() {}

    /** The strings to mask, and the names of variables whose value (or a string in it) is too short to mask. */
    public record Patterns(List<String> strings, List<String> tooShort) {}

    public static Patterns of(ObjectNode variables, List<String> names) {
        Set<String> strings = new LinkedHashSet<>();
        List<String> tooShort = new ArrayList<>();
        if (variables == null || names == null) return new Patterns(List.of(), List.of());
        for (String name : names) {
            JsonNode value = variables.get(name);
            if (value == null || value.isNull()) continue; // nothing the log could show
            if (value.isContainerNode() && value.isEmpty()
                    || value.isTextual() && value.asText().isBlank()) continue;
            boolean all = add(value.isTextual() ? value.asText() : value.toString(), strings);
            if (value.isContainerNode()) all &= addStrings(value, strings);
            if (!all) tooShort.add(name);
        }
        return new Patterns(List.copyOf(strings), List.copyOf(tooShort));
    }

    /** The patterns of plain values (no variables around them), for tests and tools. */
    public static List<String> ofValues(Collection<String> values) {
        Set<String> strings = new LinkedHashSet<>();
        for (String value : values) add(value, strings);
        return List.copyOf(strings);
    }

    /** @return false when one of the strings inside is too short to be masked */
    private static boolean addStrings(JsonNode container, Set<String> strings) {
        boolean all = true;
        for (JsonNode element : container) {
            if (element.isTextual() && !element.asText().isBlank()) all &= add(element.asText(), strings);
            else if (element.isContainerNode()) all &= addStrings(element, strings);
        }
        return all;
    }

    /** @return whether the value itself is long enough to be masked */
    private static boolean add(String value, Set<String> strings) {
        String whole = value.strip();
        if (whole.length() < MIN_VALUE) return false;
        strings.add(whole);
        if (whole.indexOf('\n') >= 0 || whole.indexOf('\r') >= 0) {
            for (String line : whole.split("\r\n|\r|\n")) {
                String stripped = line.strip();
                if (stripped.length() >= MIN_FRAGMENT) strings.add(stripped);
            }
        }
        return true;
    }
}
