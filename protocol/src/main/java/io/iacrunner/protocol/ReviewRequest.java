package io.iacrunner.protocol;

/** Confirm or discard a planned run, with what the reviewer has to say about it ({@code comment}, optional). */
public record ReviewRequest(String comment) {}
