package io.iacrunner.protocol;

/** Limits that both ends know, so that a client refuses before sending what the server would refuse. */
public final class Limits {
    /** The largest request body the server reads: a full log batch of long lines fits, a runaway upload does not. */
    public static final long MAX_BODY_BYTES = 16L * 1024 * 1024;

    private Limits() {}

    /** {@link #MAX_BODY_BYTES} for people: "16 MiB (16777216 bytes)". */
    public static String maxBody() {
        return MAX_BODY_BYTES / (1024 * 1024) + " MiB (" + MAX_BODY_BYTES + " bytes)";
    }
}
