package io.iacrunner.protocol;

/** Agent → server, authenticated with a pool token: who the agent is. */
public record RegisterRequest(String name, String version, String hostname) {}
