package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * How an agent keeps a task's Terraform away from the agent itself and from other tasks. Agents report theirs at
 * registration and on every ping, so the server can show which agents run without a sandbox.
 */
public enum Isolation {
    /** Every Terraform process runs in a bubblewrap sandbox that sees its own task directory only (the default). */
    @JsonProperty("sandbox")
    SANDBOX,
    /**
     * Terraform runs as the agent's own user beside the agent's credentials: any configuration can read them. An
     * explicit, loud opt-out.
     */
    @JsonProperty("none")
    NONE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Isolation fromWire(String name) {
        for (Isolation i : values()) {
            if (i.wireName().equals(name)) return i;
        }
        throw new IllegalArgumentException("unknown isolation '" + name + "' (expected sandbox or none)");
    }
}
