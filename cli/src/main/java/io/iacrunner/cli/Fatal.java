package io.iacrunner.cli;

/**
 * A running server that cannot go on (its embedded PostgreSQL died and could not be restarted) ends its process with
 * {@link ExitCodes#INTERNAL}, so that whatever supervises it (systemd, Docker, a person) starts it again; the shutdown
 * hook of {@code server} or {@code dev} stops what is left on the way out.
 */
final class Fatal {
    private Fatal() {}

    /** Says why on stderr, then exits; called on a thread of its own (see {@code IacServer.start}). */
    static void exit(CliContext ctx, String reason) {
        ctx.err().println("error: the server cannot go on: " + reason);
        ctx.err().flush();
        System.exit(ExitCodes.INTERNAL);
    }
}
