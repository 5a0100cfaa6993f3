package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token order: --token-file, then IAC_TOKEN_FILE, then IAC_TOKEN, then ./.iac-data/admin.token. */
class TokenResolutionTest {
    @TempDir
    Path dir;

    FakeApi api;
    Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi().on("GET", "/api/v1/agents", FakeApi.Reply.ok("{\"agents\":[]}"));
        env.put("IAC_SERVER", api.url());
        Files.writeString(dir.resolve("flag.token"), "from-flag\n");
        Files.writeString(dir.resolve("env.token"), "\tfrom-env-file \r\n");
        Files.createDirectories(dir.resolve(".iac-data"));
        Files.writeString(dir.resolve(".iac-data/admin.token"), "from-default\n");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private String tokenSent(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "agents";
        System.arraycopy(args, 0, full, 1, args.length);
        CliRun run = CliRun.run(env, dir, full);
        assertThat(run.exit()).as(run.toString()).isZero();
        return api.requests.getLast().authorization();
    }

    @Test
    void flagBeatsEverything() {
        env.put("IAC_TOKEN_FILE", "env.token");
        env.put("IAC_TOKEN", "from-env");
        assertThat(tokenSent("--token-file", "flag.token")).isEqualTo("Bearer from-flag");
    }

    @Test
    void tokenFileVariableBeatsTokenVariable() {
        env.put("IAC_TOKEN_FILE", dir.resolve("env.token").toString());
        env.put("IAC_TOKEN", "from-env");
        assertThat(tokenSent()).isEqualTo("Bearer from-env-file");
    }

    @Test
    void tokenVariableBeatsTheDefaultFile() {
        env.put("IAC_TOKEN", " from-env ");
        assertThat(tokenSent()).isEqualTo("Bearer from-env");
    }

    @Test
    void defaultFileIsUsedWhenNothingElseIsSet() {
        assertThat(tokenSent()).isEqualTo("Bearer from-default");
    }

    @Test
    void noTokenAnywhereSendsNoAuthorizationHeader() throws Exception {
        Files.delete(dir.resolve(".iac-data/admin.token"));
        assertThat(tokenSent()).isNull();
    }

    @Test
    void blankVariablesCountAsUnset() {
        env.put("IAC_TOKEN_FILE", "");
        env.put("IAC_TOKEN", "  ");
        assertThat(tokenSent()).isEqualTo("Bearer from-default");
    }

    @Test
    void missingTokenFileIsAUsageErrorNotASilentFallback() {
        env.put("IAC_TOKEN", "from-env");
        CliRun run = CliRun.run(env, dir, "agents", "--token-file", "missing.token");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("missing.token").contains("does not exist");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void emptyTokenFileIsAUsageError() throws Exception {
        Files.writeString(dir.resolve("empty.token"), " \n");
        CliRun run = CliRun.run(env, dir, "agents", "--token-file", "empty.token");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("empty");
    }

    @Test
    void aTwoLineTokenFileIsAUsageErrorThatShowsNoPartOfIt() throws Exception {
        String first = "iacrt_0123456789abcdef_FIRSTSECRETPART";
        String second = "SECONDLINESECRET";
        Files.writeString(dir.resolve("two.token"), first + "\n" + second + "\n");
        Files.writeString(dir.resolve("main.tf.json"), "{\"resource\": {}}");
        for (String[] command : new String[][] {
            {"agents", "--token-file", "two.token"},
            {
                "task",
                "create",
                "--workspace",
                "w",
                "--action",
                "plan",
                "--config",
                "main.tf.json",
                "--token-file",
                "two.token"
            },
            {"agent", "--server", api.url(), "--token-file", "two.token"}
        }) {
            CliRun run = CliRun.run(env, dir, command);
            assertThat(run.exit()).as(run.toString()).isEqualTo(2);
            assertThat(run.err()).contains("two.token").contains("more than one line");
            for (String part : new String[] {first, second, "FIRSTSECRETPART", "0123456789abcdef"}) {
                assertThat(run.out() + run.err())
                        .as("no part of the token is shown")
                        .doesNotContain(part);
            }
        }
        assertThat(api.requests).isEmpty();
    }

    @Test
    void aTokenVariableOfTwoLinesAndABinaryTokenFileAreUsageErrorsThatShowNothingOfThem() throws Exception {
        env.put("IAC_TOKEN", "SECRETONE\nSECRETTWO");
        CliRun variable = CliRun.run(env, dir, "agents");
        assertThat(variable.exit()).as(variable.toString()).isEqualTo(2);
        assertThat(variable.err())
                .contains("IAC_TOKEN")
                .doesNotContain("SECRETONE")
                .doesNotContain("SECRETTWO");
        env.remove("IAC_TOKEN");

        Files.write(dir.resolve("binary.token"), new byte[] {'S', 'E', 'C', 'R', 'E', 'T', 0, (byte) 0xff, 'X'});
        CliRun binary = CliRun.run(env, dir, "agents", "--token-file", "binary.token");
        assertThat(binary.exit()).as(binary.toString()).isEqualTo(2);
        assertThat(binary.err()).contains("binary.token").doesNotContain("SECRET");

        Files.writeString(dir.resolve("spaced.token"), "SECRET WITH SPACES\n");
        CliRun spaced = CliRun.run(env, dir, "agents", "--token-file", "spaced.token");
        assertThat(spaced.exit()).as(spaced.toString()).isEqualTo(2);
        assertThat(spaced.err()).contains("spaced.token").doesNotContain("SECRET");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void serverFlagBeatsTheServerVariable() {
        env.put("IAC_SERVER", "http://127.0.0.1:1");
        CliRun run = CliRun.run(env, dir, "agents", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
    }
}
