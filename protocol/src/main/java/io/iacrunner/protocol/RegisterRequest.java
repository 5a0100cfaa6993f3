package io.iacrunner.protocol;

/**
 * Agent → server, authenticated with a pool token: who the agent is, and how it isolates its tasks ({@code null} from
 * an agent that predates sandboxes: shown as unknown). {@code resumeAgentToken}: the agent token it last held (possibly
 * expired, say after a long outage); the server then gives it back the same agent id when that token is genuine, of
 * this pool and its agent still registered, so the attempts it still runs stay its own. Null for a new agent.
 */
public record RegisterRequest(
        String name, String version, String hostname, Isolation isolation, String resumeAgentToken) {
    /** An agent that does not say how it isolates its tasks, registering anew. */
    public RegisterRequest(String name, String version, String hostname) {
        this(name, version, hostname, null, null);
    }
}
