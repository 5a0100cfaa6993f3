package io.iacrunner.cli;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ErrorCodes;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code iac} command line. {@link #run} is the in-process entry point tests use. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // UTF-8 whatever the locale: Terraform prints box-drawing characters and users' configs hold any text.
        PrintStream out = new PrintStream(
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(CliContext.system(out, err), args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line with the process's environment and working directory; returns the exit status. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(CliContext.system(out, err), args);
    }

    /** Runs one command line against an explicit context (streams, environment, working directory). */
    public static int run(CliContext ctx, String... args) {
        CommandLine cli = commandLine(ctx);
        try {
            return cli.execute(args);
        } finally {
            ctx.out().flush();
            ctx.err().flush();
        }
    }

    static CommandLine commandLine(CliContext ctx) {
        CommandLine cli = new CommandLine(IacCommand.class, new ContextFactory(ctx));
        cli.setOut(new PrintWriter(new OutputStreamWriter(ctx.out(), ctx.out().charset()), true));
        cli.setErr(new PrintWriter(new OutputStreamWriter(ctx.err(), ctx.err().charset()), true));
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> failure(e, commandLine, ctx));
        return cli;
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + e.getMessage());
        if (e instanceof UnmatchedArgumentException unmatched)
            UnmatchedArgumentException.printSuggestions(unmatched, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int failure(Exception e, CommandLine cmd, CliContext ctx) {
        ctx.out().flush();
        PrintStream err = ctx.err();
        if (e instanceof UsageException) {
            err.println("error: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        if (e instanceof StartupException) {
            err.println("error: " + e.getMessage());
            return ExitCodes.INTERNAL;
        }
        if (e instanceof ApiException api) {
            err.println("error: " + api.code() + ": " + describe(api));
            if (api.status() == 0) {
                err.println("(is the server running? start one with ./iac dev, or pass --server URL)");
            } else if (api.status() == 503 && ErrorCodes.STORE_UNAVAILABLE.equals(api.code())) {
                err.println("(the server is running, but cannot use its database right now; try again in a few seconds,"
                        + " and see the server's log if it lasts)");
            }
            return ExitCodes.API_ERROR;
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return ExitCodes.API_ERROR;
        }
        // A bug. Its message could hold anything (a header with a token in it, say), so it is shown only on request.
        if (ctx.env(DEBUG) != null) {
            e.printStackTrace(err);
        } else {
            err.println("error: an internal error in iac (a bug; please report it); run again with " + DEBUG
                    + "=1 to see its details");
        }
        return ExitCodes.INTERNAL;
    }

    /** Set (to anything) to see an internal error's stack trace. */
    static final String DEBUG = "IAC_DEBUG";

    private static String describe(ApiException e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) return "HTTP " + e.status();
        // Not our error shape (a proxy's HTML page, say): one line, and not a whole page of it.
        String line = message.strip().replaceAll("\\s+", " ");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    /** Builds commands and mixins with the context when they take one, else with picocli's default factory. */
    private record ContextFactory(CliContext ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> withContext = cls.getDeclaredConstructor(CliContext.class);
                return withContext.newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
