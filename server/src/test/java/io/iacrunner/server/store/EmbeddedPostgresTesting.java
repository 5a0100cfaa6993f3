package io.iacrunner.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What tests read from a server's embedded cluster directly: its {@code postmaster.pid}. */
public final class EmbeddedPostgresTesting {
    private EmbeddedPostgresTesting() {}

    /** The postmaster's pid, the file's first line. */
    static long postmasterPid(Path dataDir) {
        return Long.parseLong(pidFile(dataDir).getFirst().trim());
    }

    /** A JDBC URL to the embedded server's {@code postgres} database; the port is the file's fourth line. */
    public static String jdbcUrl(Path dataDir) {
        return "jdbc:postgresql://127.0.0.1:" + pidFile(dataDir).get(3).trim() + "/postgres";
    }

    private static List<String> pidFile(Path dataDir) {
        try {
            return Files.readAllLines(dataDir.resolve("pg").resolve("postmaster.pid"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
