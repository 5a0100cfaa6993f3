package io.iacrunner.bench;

import io.iacrunner.server.store.EmbeddedStoreSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What every benchmark needs around its measurement: a scratch directory, and the facts about the machine that a
 * reader needs to judge the figures (processor, JDK, load average before and after).
 */
final class BenchEnv {
    private BenchEnv() {}

    /** A fresh scratch directory under the temp directory; {@link #deleteTree} removes it. */
    static Path tempDir(String prefix) throws IOException {
        return Files.createTempDirectory("iac-bench-" + prefix + "-");
    }

    /**
     * PostgreSQL as the server's embedded store runs it, durable commits included ({@link EmbeddedStoreSettings}): a
     * figure taken without them flatters every write path. {@code clean}: a new cluster rather than the one in
     * {@code dir}.
     */
    static EmbeddedPostgres durablePostgres(Path dir, boolean clean) throws IOException {
        Files.createDirectories(dir);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(clean)
                .setPGStartupWait(Duration.ofSeconds(120));
        EmbeddedStoreSettings.POSTMASTER.forEach(builder::setServerConfig);
        return builder.start();
    }

    static String jdbcUrl(EmbeddedPostgres pg) {
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
    }

    static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("bench: could not delete " + root + ": " + e);
        }
    }

    static String machine() {
        String cpu = "";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim() + ", ")
                    .orElse("");
        } catch (IOException | RuntimeException e) {
            // Not Linux: the processor count below still says something.
        }
        return "nproc " + Runtime.getRuntime().availableProcessors() + " (" + cpu + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch") + "), JDK "
                + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.vendor") + ")";
    }

    /** The 1-minute load average: other work on the machine skews every figure, so each section states it. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The closing paragraph of every section: when, how long, on what, and how busy the machine was.
     *
     * @param sharing what ran on the machine together, e.g. "Server, embedded PostgreSQL and client"
     */
    static String runFooter(Duration took, String sharing, String loadAtStart) {
        return "Run " + DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC)) + " (UTC), "
                + took.toSeconds() + " s in all, on: " + machine() + ". " + sharing
                + " share the machine; its load average (1 min) was " + loadAtStart + " at the start and "
                + loadAverage()
                + " at the end.\n";
    }
}
