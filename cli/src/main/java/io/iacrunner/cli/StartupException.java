package io.iacrunner.cli;

/** The server or agent could not start (port taken, database unreachable, unusable work dir): one line, exit 5. */
final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StartupException(String what, Throwable cause) {
        super(what + ": " + rootMessage(cause), cause);
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage() == null ? "no reason given" : e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += " (" + root.getMessage() + ")";
        }
        return message;
    }
}
