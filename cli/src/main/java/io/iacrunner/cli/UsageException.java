package io.iacrunner.cli;

/** Input the user must fix (a missing or malformed file, a bad URL): reported in one line, exit status 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
