package io.iacrunner.protocol;

/** The one reply that carries a token's secret: store it now, the server keeps only its hash. */
public record TokenCreated(String token, TokenView view) {}
