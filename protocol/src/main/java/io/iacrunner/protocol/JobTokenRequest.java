package io.iacrunner.protocol;

/** An agent asks for a fresh job token for an attempt it runs (the first one expiring, or lost in a restart). */
public record JobTokenRequest(int attempt) {}
