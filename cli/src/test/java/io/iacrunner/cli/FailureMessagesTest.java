package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CLI prints when something goes wrong is written for people: no Java class names
 * ({@code java.net.ConnectException}, {@code NullPointerException}), no stack traces, whatever failed.
 */
class FailureMessagesTest {
    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi()
                .on("GET", "/api/v1/agents", new FakeApi.Reply(200, "<html>a proxy's page</html>"))
                .on(
                        "POST",
                        "/api/v1/tasks",
                        FakeApi.Reply.error(503, "store_unavailable", "the store (PostgreSQL) is unavailable"))
                .on("GET", "/api/v1/tasks", new FakeApi.Reply(502, "<html><body>Bad Gateway</body></html>"));
        Files.writeString(dir.resolve("main.tf.json"), "{\"resource\": {}}");
        Files.writeString(dir.resolve("dup.tf.json"), "{\"resource\": {}, \"resource\": {}}");
        Files.writeString(dir.resolve("broken.tf.json"), "{\"resource\": ");
        Files.writeString(dir.resolve("two.token"), "one\ntwo\n");
        Files.writeString(dir.resolve("ok.token"), "a-token\n");
        Files.createDirectories(dir.resolve("a-directory"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void noFailureShowsAJavaClassNameOrAStackTrace() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort;
        String tls = api.url().replace("http://", "https://"); // TLS to a server that speaks none
        List<String[]> cases = new ArrayList<>(List.of(
                new String[] {"agents", "--server", dead, "--token-file", "ok.token"},
                new String[] {"task", "list", "--server", dead, "--token-file", "ok.token"},
                new String[] {"logs", "t-0000000000000000", "--server", dead, "--token-file", "ok.token"},
                new String[] {"agents", "--server", tls, "--token-file", "ok.token"},
                new String[] {"agents", "--server", api.url(), "--token-file", "ok.token"},
                new String[] {"task", "list", "--server", api.url(), "--token-file", "ok.token"},
                new String[] {"agents", "--server", api.url(), "--token-file", "two.token"},
                new String[] {"agents", "--server", api.url(), "--token-file", "a-directory"},
                new String[] {"agents", "--server", api.url(), "--token-file", "missing.token"},
                new String[] {
                    "task",
                    "create",
                    "--server",
                    api.url(),
                    "--token-file",
                    "ok.token",
                    "--workspace",
                    "w",
                    "--action",
                    "plan",
                    "--config",
                    "main.tf.json"
                },
                new String[] {
                    "task",
                    "create",
                    "--server",
                    api.url(),
                    "--workspace",
                    "w",
                    "--action",
                    "plan",
                    "--config",
                    "dup.tf.json"
                },
                new String[] {
                    "task",
                    "create",
                    "--server",
                    api.url(),
                    "--workspace",
                    "w",
                    "--action",
                    "plan",
                    "--config",
                    "broken.tf.json"
                },
                new String[] {
                    "task",
                    "create",
                    "--server",
                    api.url(),
                    "--workspace",
                    "w",
                    "--action",
                    "plan",
                    "--config",
                    "a-directory"
                },
                new String[] {
                    "task",
                    "create",
                    "--server",
                    api.url(),
                    "--workspace",
                    "w",
                    "--action",
                    "plan",
                    "--config-dir",
                    "main.tf.json"
                },
                new String[] {"var", "set", "w", "x", "--value-file", "missing.txt", "--server", api.url()},
                new String[] {"agent", "--server", api.url(), "--token-file", "two.token"}));
        Function<String[], CliRun> run = args -> CliRun.run(Map.of(), dir, args);
        for (String[] args : cases) {
            CliRun result = run.apply(args);
            String printed = result.out() + result.err();
            assertThat(result.exit()).as(String.join(" ", args) + "\n" + result).isNotZero();
            assertThat(result.err()).as(String.join(" ", args)).startsWith("error: ");
            assertThat(printed)
                    .as(String.join(" ", args) + "\n" + result)
                    .doesNotContain("java.")
                    .doesNotContain("Exception")
                    .doesNotContain("\tat ")
                    .doesNotContain("jdk.");
        }
    }
}
