package io.iacrunner.server.logs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.SensitiveValues;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The server's second line of defence: masks a task's sensitive values ({@link SensitiveValues}) in each stored line,
 * whatever the agent did. The agent masks the raw stream (secrets split across writes or lines); here it is per line,
 * longest value first, so no part of a longer secret is left beside a shorter one's mask.
 */
final class SecretRedactor {
    static final SecretRedactor NONE = new SecretRedactor(List.of());

    private final List<String> secrets;

    private SecretRedactor(List<String> secrets) {
        this.secrets = secrets;
    }

    static SecretRedactor of(ObjectNode variables, List<String> sensitiveNames) {
        List<String> ordered =
                new ArrayList<>(SensitiveValues.of(variables, sensitiveNames).strings());
        if (ordered.isEmpty()) return NONE;
        ordered.sort(Comparator.comparingInt(String::length).reversed());
        return new SecretRedactor(List.copyOf(ordered));
    }

    String redact(String line) {
        String out = line;
        for (String secret : secrets) {
            if (out.contains(secret)) out = out.replace(secret, SensitiveValues.MASK);
        }
        return out;
    }
}
