package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code iac server} and {@code iac dev} whose embedded PostgreSQL dies and cannot be started again exit with status
 * 5, saying why in one line, so that whatever supervises them (systemd, Docker, a person) can act. The dev command
 * stops its agent on the way out too.
 */
class StoreLostEndToEndTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"server", "dev"})
    void aServerWhoseEmbeddedPostgresCannotBeRestartedExitsWithStatusFive(String command) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve(command + ".log");
        Process process = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        command,
                        "--port",
                        "0",
                        "--data-dir",
                        data.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            // Both banners end with how to stop it.
            Awaitility.await(command + " running")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) throw new AssertionError(command + " exited: " + Files.readString(log));
                        return Files.readString(log).contains("Ctrl-C");
                    });
            // A configuration PostgreSQL refuses, then the postmaster killed: every restart fails.
            Files.writeString(
                    data.resolve("pg/postgresql.conf"),
                    "\nno_such_setting_for_this_test = 1\n",
                    StandardOpenOption.APPEND);
            long postmaster = Long.parseLong(Files.readAllLines(data.resolve("pg/postmaster.pid"))
                    .getFirst()
                    .trim());
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();

            assertThat(process.waitFor(120, TimeUnit.SECONDS))
                    .as("%s exits by itself", command)
                    .isTrue();
            String output = Files.readString(log);
            assertThat(process.exitValue()).as(output).isEqualTo(5);
            assertThat(output)
                    .contains("error: the server cannot go on: the embedded PostgreSQL died and could not be restarted")
                    .contains("no_such_setting_for_this_test");
            assertThat(output).as("no stack traces").doesNotContain("\tat ").doesNotContain("Exception");
        } finally {
            process.destroyForcibly().waitFor();
        }
    }
}
