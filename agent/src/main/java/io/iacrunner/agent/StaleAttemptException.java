package io.iacrunner.agent;

/** The server says an attempt is no longer the task's current one: its work must stop and be dropped. */
final class StaleAttemptException extends Exception {
    StaleAttemptException(String message) {
        super(message);
    }
}
