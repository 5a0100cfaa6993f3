package io.iacrunner.protocol;

/**
 * Agent → server, authenticated with a pool token: who the agent is. {@code resumeAgentToken}: the agent token it last
 * held (possibly expired, say after a long outage); the server then gives it back the same agent id when that token
 * is genuine, of this pool and its agent still registered, so the attempts it still runs stay its own. Null for a new
 * agent.
 */
public record RegisterRequest(String name, String version, String hostname, String resumeAgentToken) {}
