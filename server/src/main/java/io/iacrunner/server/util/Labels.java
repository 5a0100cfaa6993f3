package io.iacrunner.server.util;

import io.iacrunner.server.problems.ApiProblem;
import java.util.Map;

/** Labels of pools and tasks: KEY=VALUE pairs of safe names, at most 20. */
public final class Labels {
    public static final int MAX = 20;

    private Labels() {}

    public static Map<String, String> validated(Map<String, String> labels) {
        if (labels == null) return Map.of();
        if (labels.size() > MAX) throw ApiProblem.badRequest("too_many_labels", "at most " + MAX + " labels");
        labels.forEach((k, v) -> {
            if (k == null
                    || v == null
                    || !Ids.NAME.matcher(k).matches()
                    || !Ids.NAME.matcher(v).matches()) {
                throw ApiProblem.badRequest(
                        "invalid_label", "labels are KEY=VALUE, each 1-64 letters, digits, '.', '_' or '-'");
            }
        });
        return labels;
    }
}
