package io.iacrunner.protocol;

/**
 * Agent → server, authenticated with a pool token: who the agent is, and how it isolates its tasks ({@code null} from
 * an agent that predates sandboxes: shown as unknown).
 */
public record RegisterRequest(String name, String version, String hostname, Isolation isolation) {
    /** An agent that does not say how it isolates its tasks. */
    public RegisterRequest(String name, String version, String hostname) {
        this(name, version, hostname, null);
    }
}
