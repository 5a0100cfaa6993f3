package io.iacrunner.server.secrets;

/** A sealed value that this server cannot open: never shown as a value, always as this error. */
public final class SealedValueException extends RuntimeException {
    public SealedValueException(String message) {
        super(message);
    }
}
