package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * Sub-phase of a running task, reported by the agent. Tooling may ignore it; the server uses it to know whether an
 * apply may have started (a lost agent's task is then never re-run automatically).
 */
public enum TaskPhase {
    @JsonProperty("planning")
    PLANNING,
    @JsonProperty("applying")
    APPLYING;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskPhase fromWire(String name) {
        return name == null ? null : valueOf(name.toUpperCase(Locale.ROOT));
    }
}
