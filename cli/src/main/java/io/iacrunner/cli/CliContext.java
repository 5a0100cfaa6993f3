package io.iacrunner.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command may touch of its surroundings: its two output streams, the environment and the working directory.
 * Passed in rather than read from {@code System}, so tests run commands in-process with their own values.
 */
public record CliContext(PrintStream out, PrintStream err, Map<String, String> env, Path cwd) {

    public static CliContext system(PrintStream out, PrintStream err) {
        return new CliContext(out, err, System.getenv(), Path.of("").toAbsolutePath());
    }

    /** An environment variable, or null when unset or blank. */
    public String env(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value;
    }

    /** {@code path} as the user meant it: relative paths are relative to the working directory. */
    public Path resolve(Path path) {
        return cwd.resolve(path).normalize();
    }
}
