package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.agent.AgentConfig;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.settings.ServerSettings;
import io.iacrunner.server.settings.Setting;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option handling of the long-running commands (server, agent, dev), without starting them. */
class ProcessCommandsTest {
    @TempDir
    Path dir;

    private <T> T parse(Class<T> type, Map<String, String> env, String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CliContext ctx = new CliContext(sink, sink, env, dir);
        CommandLine cli = Main.commandLine(ctx);
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        while (parsed.hasSubcommand()) parsed = parsed.subcommand();
        return type.cast(parsed.commandSpec().userObject());
    }

    @Test
    void serverDefaultsToLoopbackPort8080AndTheEmbeddedDatabase() {
        ServerConfig config = parse(ServerCommand.class, Map.of(), "server").config();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.dataDir()).isEqualTo(dir.resolve(".iac-data"));
        assertThat(config.embeddedDatabase()).isTrue();
        assertThat(config.secretsKeyFile()).as("the data dir's own key").isNull();
    }

    @Test
    void theSecretsKeyFileComesFromTheFlagElseTheEnvironmentRelativeToTheWorkingDirectory() {
        Map<String, String> env = Map.of("IAC_SECRETS_KEY_FILE", "keys/env.key");
        assertThat(parse(ServerCommand.class, env, "server").config().secretsKeyFile())
                .isEqualTo(dir.resolve("keys/env.key"));
        assertThat(parse(ServerCommand.class, env, "server", "--secrets-key-file", "/etc/iac/secrets.key")
                        .config()
                        .secretsKeyFile())
                .isEqualTo(Path.of("/etc/iac/secrets.key"));
    }

    @Test
    void serverTakesTheDatabaseFromTheEnvironmentUnlessFlagsSayOtherwise() {
        Map<String, String> env = Map.of(
                "IAC_DATABASE_URL",
                "jdbc:postgresql://db:5432/iac",
                "IAC_DATABASE_USER",
                "iac",
                "IAC_DATABASE_PASSWORD",
                "pw");
        ServerConfig fromEnv = parse(ServerCommand.class, env, "server").config();
        assertThat(fromEnv.databaseUrl()).isEqualTo("jdbc:postgresql://db:5432/iac");
        assertThat(fromEnv.databaseUser()).isEqualTo("iac");
        assertThat(fromEnv.databasePassword()).isEqualTo("pw");

        ServerConfig fromFlags = parse(
                        ServerCommand.class,
                        env,
                        "server",
                        "--database-url",
                        "jdbc:postgresql://other/x",
                        "--database-user",
                        "u2",
                        "--port",
                        "0",
                        "--host",
                        "0.0.0.0",
                        "--data-dir",
                        "/var/iac")
                .config();
        assertThat(fromFlags.databaseUrl()).isEqualTo("jdbc:postgresql://other/x");
        assertThat(fromFlags.databaseUser()).isEqualTo("u2");
        assertThat(fromFlags.databasePassword()).isEqualTo("pw");
        assertThat(fromFlags.port()).isZero();
        assertThat(fromFlags.host()).isEqualTo("0.0.0.0");
        assertThat(fromFlags.dataDir()).isEqualTo(Path.of("/var/iac"));
    }

    @Test
    void serverRefusesANonPostgresDatabaseUrlAsAUsageError() {
        CliRun run = CliRun.run(dir, "server", "--database-url", "mysql://db/x");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--database-url").contains("jdbc:postgresql:");
    }

    @Test
    void portOutOfRangeIsAUsageError() {
        CliRun run = CliRun.run(dir, "dev", "--port", "70000");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--port");
    }

    @Test
    void agentNeedsATokenFileThatExists() {
        CliRun missingFlag = CliRun.run(dir, "agent", "--server", "http://127.0.0.1:9");
        assertThat(missingFlag.exit()).isEqualTo(2);
        assertThat(missingFlag.err()).contains("--token-file");

        CliRun missingFile = CliRun.run(dir, "agent", "--server", "http://127.0.0.1:9", "--token-file", "nope.token");
        assertThat(missingFile.exit()).isEqualTo(2);
        assertThat(missingFile.err()).contains("nope.token").contains("does not exist");
    }

    @Test
    void agentOptionsReachTheAgentConfig() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        AgentConfig config = parse(
                        AgentCommand.class,
                        Map.of("IAC_SERVER", "http://10.0.0.5:8080"),
                        "agent",
                        "--token-file",
                        "agent.token",
                        "--name",
                        "runner-1",
                        "--work-dir",
                        "work",
                        "--terraform",
                        "bin/terraform",
                        "--max-plans",
                        "2",
                        "--allow-plain-http")
                .config();
        assertThat(config.serverUrl()).isEqualTo(URI.create("http://10.0.0.5:8080"));
        assertThat(config.transport().allowPlainHttp()).isTrue();
        assertThat(config.tokenFile()).isEqualTo(dir.resolve("agent.token"));
        assertThat(config.name()).isEqualTo("runner-1");
        assertThat(config.workDir()).isEqualTo(dir.resolve("work"));
        assertThat(config.terraform()).isEqualTo(dir.resolve("bin/terraform"));
        assertThat(config.localPlanLimit()).isEqualTo(2);

        AgentConfig onPath = parse(AgentCommand.class, Map.of(), "agent", "--token-file", "agent.token")
                .config();
        assertThat(onPath.terraform()).isEqualTo(Path.of("terraform"));
        assertThat(onPath.serverUrl()).isEqualTo(URI.create("http://127.0.0.1:8080"));
    }

    @Test
    void agentsRunTasksInTheSandboxUnlessToldNoneLoudly() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        assertThat(parse(AgentCommand.class, Map.of(), "agent", "--token-file", "agent.token")
                        .config()
                        .runs()
                        .isolation())
                .isEqualTo(Isolation.SANDBOX);
        assertThat(parse(AgentCommand.class, Map.of(), "agent", "--token-file", "agent.token", "--isolation", "none")
                        .config()
                        .runs()
                        .isolation())
                .isEqualTo(Isolation.NONE);
        Files.createDirectories(dir.resolve("mirror"));
        assertThat(parse(
                                AgentCommand.class,
                                Map.of(),
                                "agent",
                                "--token-file",
                                "agent.token",
                                "--provider-mirror",
                                "mirror")
                        .config()
                        .runs()
                        .providerMirror())
                .isEqualTo(dir.resolve("mirror"));
        CliRun noMirror = CliRun.run(dir, "agent", "--token-file", "agent.token", "--provider-mirror", "nowhere");
        assertThat(noMirror.exit()).isEqualTo(2);
        assertThat(noMirror.err()).contains("--provider-mirror").contains("is not a directory");
        CliRun bogus = CliRun.run(dir, "agent", "--token-file", "agent.token", "--isolation", "chroot");
        assertThat(bogus.exit()).isEqualTo(2);
        assertThat(bogus.err()).contains("--isolation must be sandbox or none");
    }

    @Test
    void moreReadOnlyPathsForTheSandboxMustExist() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        Files.createDirectories(dir.resolve("tools"));
        assertThat(parse(
                                AgentCommand.class,
                                Map.of(),
                                "agent",
                                "--token-file",
                                "agent.token",
                                "--sandbox-read-only",
                                "tools")
                        .config()
                        .runs()
                        .readOnlyPaths())
                .containsExactly(dir.resolve("tools"));
        CliRun noTools = CliRun.run(dir, "agent", "--token-file", "agent.token", "--sandbox-read-only", "nowhere");
        assertThat(noTools.exit()).isEqualTo(2);
        assertThat(noTools.err()).contains("--sandbox-read-only").contains("does not exist");
    }

    @Test
    void singleAcceptAndHooksReachTheAgentConfig() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        Files.createDirectories(dir.resolve("hooks"));
        AgentConfig config = parse(
                        AgentCommand.class,
                        Map.of(),
                        "agent",
                        "--token-file",
                        "agent.token",
                        "--single",
                        "--accept",
                        "plan",
                        "--hooks-dir",
                        "hooks")
                .config();
        assertThat(config.claims().single()).isTrue();
        assertThat(config.claims().accept()).containsExactly(TaskAction.PLAN);
        assertThat(config.runs().hooksDir()).isEqualTo(dir.resolve("hooks"));
        AgentConfig both = parse(
                        AgentCommand.class,
                        Map.of(),
                        "agent",
                        "--token-file",
                        "agent.token",
                        "--accept",
                        "plan",
                        "--accept",
                        "plan_apply")
                .config();
        assertThat(both.claims().accept()).containsExactlyInAnyOrder(TaskAction.PLAN, TaskAction.PLAN_APPLY);
        assertThat(both.claims().single()).isFalse();

        CliRun badAccept = CliRun.run(dir, "agent", "--token-file", "agent.token", "--accept", "destroy");
        assertThat(badAccept.exit()).isEqualTo(2);
        assertThat(badAccept.err()).contains("--accept takes plan or plan_apply, got 'destroy'");
        CliRun noHooks = CliRun.run(dir, "agent", "--token-file", "agent.token", "--hooks-dir", "nowhere");
        assertThat(noHooks.exit()).isEqualTo(2);
        assertThat(noHooks.err()).contains("--hooks-dir").contains("is not a directory");
    }

    @Test
    void devSaysLoudlyWhenItsAgentRunsWithoutASandboxAndWhy() {
        assertThat(DevCommand.sandboxWarning(null)).isEmpty();
        String problem =
                "the task sandbox (bubblewrap) cannot start: bwrap is not installed (looked in /usr/bin/bwrap and on PATH)."
                        + " Fix it by installing bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)";
        assertThat(String.join("\n", DevCommand.sandboxWarning(problem)))
                .contains(
                        "WARNING: the local agent runs WITHOUT a task sandbox (--isolation none)",
                        "can read this agent's identity",
                        "Why: " + problem);
    }

    @Test
    void anAgentThatCannotSandboxItsTasksRefusesToStartAndSaysWhyAndHowToFixIt() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        // A work directory every sandbox would see read-only (its identity and spool with it): refused before anything.
        CliRun run = CliRun.run(
                dir,
                "agent",
                "--server",
                "http://127.0.0.1:9",
                "--token-file",
                "agent.token",
                "--work-dir",
                "/usr/local/iac-refused-agent");
        assertThat(run.exit()).isEqualTo(5);
        assertThat(run.err())
                .contains(
                        "the agent could not start: the task sandbox (bubblewrap) cannot start",
                        "/usr/local/iac-refused-agent is under /usr",
                        "apt-get install bubblewrap",
                        "--isolation none");
        assertThat(Path.of("/usr/local/iac-refused-agent")).doesNotExist();
    }

    @Test
    void anAgentRefusesPlainHttpToAnotherMachineUnlessAllowed() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        CliRun run = CliRun.run(dir, "agent", "--server", "http://10.0.0.5:8080", "--token-file", "agent.token");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("refusing plain HTTP to 10.0.0.5");
        Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        CliRun badCa = CliRun.run(
                dir,
                "agent",
                "--server",
                "https://iac.example.com",
                "--token-file",
                "agent.token",
                "--ca-file",
                "ca.pem");
        assertThat(badCa.exit()).isEqualTo(2);
        assertThat(badCa.err()).contains("ca.pem");
    }

    @Test
    void agentDrainAndCancelGraceDefaultToFiveMinutesAndThirtySecondsAndCanBeSet() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        AgentConfig defaults = parse(AgentCommand.class, Map.of(), "agent", "--token-file", "agent.token")
                .config();
        assertThat(defaults.drainTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.cancelGrace()).isEqualTo(Duration.ofSeconds(30));

        AgentConfig set = parse(
                        AgentCommand.class,
                        Map.of(),
                        "agent",
                        "--token-file",
                        "agent.token",
                        "--drain-timeout",
                        "0",
                        "--cancel-grace",
                        "5")
                .config();
        assertThat(set.drainTimeout()).isZero();
        assertThat(set.cancelGrace()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void agentRefusesNegativeDurations() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        for (String option : List.of("--drain-timeout", "--cancel-grace")) {
            CliRun run = CliRun.run(dir, "agent", "--token-file", "agent.token", option, "-1");
            assertThat(run.exit()).as(option).isEqualTo(2);
            assertThat(run.err()).contains(option);
        }
        CliRun notANumber = CliRun.run(dir, "agent", "--token-file", "agent.token", "--drain-timeout", "5m");
        assertThat(notANumber.exit()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--drain-timeout");
    }

    @Test
    void serverPingIntervalDefaultsToFiveSecondsAndMustBePositive() {
        assertThat(parse(ServerCommand.class, Map.of(), "server").config().pingInterval())
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(parse(ServerCommand.class, Map.of(), "server", "--ping-interval", "2")
                        .config()
                        .pingInterval())
                .isEqualTo(Duration.ofSeconds(2));
        CliRun zero = CliRun.run(dir, "server", "--ping-interval", "0");
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--ping-interval");
    }

    @Test
    void serverLeaseDefaultsToTwoMinutesAndMustSpanThreePings() {
        ServerCommand defaults = parse(ServerCommand.class, Map.of(), "server");
        assertThat(defaults.config().lease()).isEqualTo(Duration.ofSeconds(120));
        assertThat(defaults.config().leases().lostApply()).isEqualTo(Duration.ofHours(24));
        ServerCommand set =
                parse(ServerCommand.class, Map.of(), "server", "--agent-lease", "30", "--lost-apply-window", "600");
        assertThat(set.config().lease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(set.config().leases().lostApply()).isEqualTo(Duration.ofMinutes(10));
        CliRun tooShort = CliRun.run(dir, "server", "--ping-interval", "20", "--agent-lease", "30");
        assertThat(tooShort.exit()).isEqualTo(2);
        assertThat(tooShort.err()).contains("agent-lease (30 s) must be at least 3 ping intervals (60 s)");
    }

    @Test
    void agentRefusesANegativeFreeDiskThreshold() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        CliRun run = CliRun.run(dir, "agent", "--token-file", "agent.token", "--min-free-disk", "-1");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--min-free-disk");
    }

    @Test
    void agentRefusesZeroPlans() throws Exception {
        Files.writeString(dir.resolve("agent.token"), "pool-token\n");
        CliRun run = CliRun.run(dir, "agent", "--token-file", "agent.token", "--max-plans", "0");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--max-plans");
    }

    @Test
    void devTryThisNeedsNoFlagsWithTheDefaults() {
        DevCommand dev = parse(DevCommand.class, Map.of(), "dev");
        List<String> lines = dev.tryThis(
                URI.create("http://127.0.0.1:8080"),
                dir.resolve(".iac-data/admin.token"),
                dir.resolve(".iac-data/examples/hello.tf.json"));
        assertThat(lines)
                .containsExactly(
                        "ID=$(./iac task create --workspace demo --action plan_apply --config .iac-data/examples/hello.tf.json)",
                        "./iac logs \"$ID\" --follow    # stops after the plan: it waits for confirmation",
                        "./iac task confirm \"$ID\"",
                        "./iac logs \"$ID\" --follow",
                        "./iac state show demo");
    }

    @Test
    void devTryThisNamesServerAndTokenWhenTheyAreNotTheDefaults() {
        DevCommand dev = parse(DevCommand.class, Map.of("IAC_HOME", "/opt/iac-runner"), "dev");
        List<String> lines = dev.tryThis(
                URI.create("http://127.0.0.1:18080"),
                Path.of("/tmp/my data/admin.token"),
                Path.of("/tmp/my data/examples/hello.tf.json"));
        assertThat(lines)
                .containsExactly(
                        "ID=$(/opt/iac-runner/iac task create --workspace demo --action plan_apply"
                                + " --config '/tmp/my data/examples/hello.tf.json'"
                                + " --server http://127.0.0.1:18080 --token-file '/tmp/my data/admin.token')",
                        "/opt/iac-runner/iac logs \"$ID\" --follow --server http://127.0.0.1:18080 --token-file '/tmp/my data/admin.token'"
                                + "    # stops after the plan: it waits for confirmation",
                        "/opt/iac-runner/iac task confirm \"$ID\" --server http://127.0.0.1:18080 --token-file '/tmp/my data/admin.token'",
                        "/opt/iac-runner/iac logs \"$ID\" --follow --server http://127.0.0.1:18080 --token-file '/tmp/my data/admin.token'",
                        "/opt/iac-runner/iac state show demo --server http://127.0.0.1:18080 --token-file '/tmp/my data/admin.token'");
    }

    @Test
    void devExampleConfigIsAJsonObjectUsingOnlyBuiltIns() throws Exception {
        Path file = dir.resolve("hello.tf.json");
        Files.writeString(file, DevCommand.EXAMPLE_CONFIG);
        var config = JsonFiles.readObject(file, "example");
        assertThat(config.path("resource").path("terraform_data").has("hello")).isTrue();
        assertThat(config.has("provider")).isFalse();
    }

    @Test
    void serverSettingsComeFromFlagsThenTheEnvironmentThenTheConfigFileThenTheDefaults() throws Exception {
        Files.writeString(dir.resolve("server.properties"), """
                # every key is a setting name
                port = 9001
                redis-url = redis://cache:6379
                shutdown-grace = 12
                database-pool-size = 7
                log-format = text
                """);
        Map<String, String> env = Map.of(
                "IAC_CONFIG",
                "server.properties",
                "IAC_PORT",
                "9002",
                "IAC_LOG_FORMAT",
                "json",
                "IAC_REDIS_PREFIX",
                "");
        ServerConfig flagWins =
                parse(ServerCommand.class, env, "server", "--port", "9003").config();
        assertThat(flagWins.port()).isEqualTo(9003);
        assertThat(flagWins.redisUrl()).isEqualTo("redis://cache:6379");
        assertThat(flagWins.redisPrefix())
                .as("an empty variable counts as unset")
                .isEqualTo("iac");
        assertThat(flagWins.shutdownGrace()).isEqualTo(Duration.ofSeconds(12));
        assertThat(flagWins.databasePoolSize()).isEqualTo(7);
        assertThat(flagWins.jsonLogs()).as("the environment beats the file").isTrue();

        assertThat(parse(ServerCommand.class, env, "server").config().port()).isEqualTo(9002);
        ServerConfig fileOnly = parse(ServerCommand.class, Map.of(), "server", "--config", "server.properties")
                .config();
        assertThat(fileOnly.port()).isEqualTo(9001);
        assertThat(fileOnly.jsonLogs()).isFalse();
    }

    @Test
    void aConfigFileWithAnUnknownSettingOrABadValueIsAUsageErrorNamingIt() throws Exception {
        Files.writeString(dir.resolve("typo.properties"), "prot=9001\n");
        CliRun typo = CliRun.run(dir, "server", "--config", "typo.properties");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("unknown setting prot").contains("port");

        CliRun badEnv = CliRun.run(Map.of("IAC_SHUTDOWN_GRACE", "soon"), dir, "server");
        assertThat(badEnv.exit()).isEqualTo(2);
        assertThat(badEnv.err()).contains("IAC_SHUTDOWN_GRACE").contains("soon");

        CliRun badBlock = CliRun.run(Map.of("IAC_NOTIFY_ALLOW", "127.0.0.0/8,intranet.example"), dir, "server");
        assertThat(badBlock.exit()).isEqualTo(2);
        assertThat(badBlock.err()).contains("IAC_NOTIFY_ALLOW").contains("not an address block: 'intranet.example'");
        assertThat(parse(ServerCommand.class, Map.of(), "server", "--notify-allow", "127.0.0.0/8, fd00::/8")
                        .config()
                        .notifyAllow())
                .extracting(Object::toString)
                .containsExactly("127.0.0.0/8", "fd00:0:0:0:0:0:0:0/8");

        Files.writeString(dir.resolve("bad.properties"), "log-format=xml\n");
        CliRun badFile = CliRun.run(dir, "server", "--config", "bad.properties");
        assertThat(badFile.exit()).isEqualTo(2);
        assertThat(badFile.err()).contains("bad.properties: log-format").contains("text, json");
    }

    @Test
    void serverHelpListsEverySettingWithItsDefaultAndItsVariable() {
        CliRun help = CliRun.run(dir, "server", "--help");
        assertThat(help.exit()).isZero();
        String text = help.out().replaceAll("\\s+", " ");
        for (Setting setting : ServerSettings.ALL) {
            assertThat(text)
                    .as("help of %s", setting.name())
                    .contains(setting.flag() + "=" + setting.label())
                    .contains("default: " + setting.defaultText() + "; env " + setting.env());
        }
        assertThat(text).contains("--config=FILE");
    }
}
