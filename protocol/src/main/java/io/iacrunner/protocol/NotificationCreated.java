package io.iacrunner.protocol;

/**
 * A destination just added, with the signing secret the server made for it ({@code generated_secret}: shown this once;
 * null when the request gave its own).
 */
public record NotificationCreated(NotificationView destination, String generatedSecret) {}
