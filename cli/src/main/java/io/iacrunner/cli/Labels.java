package io.iacrunner.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --label KEY=VALUE} options, repeated, as the map the wire carries. */
final class Labels {
    private Labels() {}

    /** The labels in the order given; a malformed or repeated key is a {@link UsageException} naming {@code option}. */
    static Map<String, String> parse(List<String> values, String option) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (values == null) return labels;
        for (String value : values) {
            int eq = value.indexOf('=');
            if (eq < 0) throw new UsageException(option + " must look like KEY=VALUE, got '" + value + "'");
            String key = value.substring(0, eq).strip();
            if (key.isEmpty()) throw new UsageException(option + " needs a key before '=', got '" + value + "'");
            if (labels.containsKey(key)) throw new UsageException(option + ": key '" + key + "' is given twice");
            labels.put(key, value.substring(eq + 1).strip());
        }
        return labels;
    }

    /** {@code k=v,k2=v2}, or null when there are none (shown as "-"). */
    static String text(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) return null;
        StringBuilder out = new StringBuilder();
        labels.forEach((k, v) ->
                out.append(out.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return out.toString();
    }
}
