package io.iacrunner.server.settings;

/** A setting's value is unusable; the message names where it came from (flag, variable or file) and why. */
public final class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SettingException(String message) {
        super(message);
    }
}
