package io.iacrunner.protocol.archives;

/**
 * A configuration archive broke a rule. The server renders it as {@code {"error": {"code": code(), "message":
 * getMessage()}}} with {@link #status()}; the agent reports the same code, so a task errored by the agent names the
 * rule the server would have. The message names the offending entry.
 */
public final class ArchiveRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public ArchiveRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ArchiveRefusedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** A refusal that names its entry: "entry '<name>' <problem>". */
    public static ArchiveRefusedException entry(Reason reason, String name, String problem) {
        return new ArchiveRefusedException(reason, "entry " + quote(name) + " " + problem);
    }

    /** An entry name fit for a message: quoted, control characters escaped, long names cut. */
    public static String quote(String name) {
        StringBuilder out = new StringBuilder("'");
        int shown = Math.min(name.length(), 200);
        for (int i = 0; i < shown; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        if (shown < name.length()) out.append("…");
        return out.append("'").toString();
    }

    public Reason reason() {
        return reason;
    }

    /** The machine-readable code, such as {@code archive_path_traversal}. */
    public String code() {
        return reason.code();
    }

    /** 413 for the size and count limits, 400 otherwise. */
    public int status() {
        return reason.status();
    }
}
