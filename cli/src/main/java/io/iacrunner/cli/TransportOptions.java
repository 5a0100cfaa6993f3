package io.iacrunner.cli;

import io.iacrunner.protocol.Transport;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --ca-file} and {@code --allow-plain-http}: how agent and client commands reach the server. */
public final class TransportOptions {
    private final CliContext ctx;

    @Option(
            names = "--ca-file",
            paramLabel = "PEM",
            description =
                    "Trust the server certificate's CA from this PEM file instead of the system's (env IAC_CA_FILE).")
    Path caFile;

    @Option(
            names = "--allow-plain-http",
            description =
                    "Allow http:// to a server that is not on this machine (tokens then cross the network unencrypted).")
    boolean allowPlainHttp;

    public TransportOptions(CliContext ctx) {
        this.ctx = ctx;
    }

    Transport transport() {
        Path ca = caFile != null
                ? ctx.resolve(caFile)
                : ctx.env("IAC_CA_FILE") != null ? ctx.resolve(Path.of(ctx.env("IAC_CA_FILE"))) : null;
        try {
            return Transport.of(ca, allowPlainHttp);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
