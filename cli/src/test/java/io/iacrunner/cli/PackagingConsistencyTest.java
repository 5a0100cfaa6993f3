package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.settings.ServerSettings;
import io.iacrunner.server.settings.Setting;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile, docker-compose.yml and the systemd unit under packaging/ name only things the code has: every
 * IAC_* variable is a setting (or a client variable), every command line parses with the real picocli model, the
 * entry point and jar exist, the health check asks a real path. No Docker needed: the files are read as text.
 */
class PackagingConsistencyTest {
    private static final Path ROOT =
            Path.of(System.getProperty("iac.repoRoot", "..")).toAbsolutePath().normalize();
    private static final Path PACKAGING = ROOT.resolve("packaging");
    /** Variables the client side reads (ClientOptions, AgentCommand), besides the server settings. */
    private static final Set<String> CLIENT_VARIABLES =
            Set.of("IAC_SERVER", "IAC_TOKEN_FILE", "IAC_TOKEN", "IAC_CA_FILE");

    private static final Pattern VARIABLE = Pattern.compile("\\bIAC_[A-Z0-9_]+");

    private static String read(String file) throws Exception {
        return Files.readString(PACKAGING.resolve(file));
    }

    private static Set<String> knownVariables() {
        Set<String> known = new TreeSet<>(CLIENT_VARIABLES);
        ServerSettings.ALL.stream().map(Setting::env).forEach(known::add);
        known.add(ServerSettings.CONFIG_ENV);
        return known;
    }

    private static void assertOnlyKnownVariables(String file) throws Exception {
        Matcher m = VARIABLE.matcher(read(file));
        Set<String> named = new TreeSet<>();
        while (m.find()) named.add(m.group());
        assertThat(named).as("IAC_* variables in %s", file).isNotEmpty().isSubsetOf(knownVariables());
    }

    /** Parses an iac command line with the real model: every option must exist and take what it is given. */
    private static void assertParses(List<String> args, String where) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        var cli = Main.commandLine(new CliContext(sink, sink, Map.of(), ROOT));
        try {
            cli.parseArgs(args.toArray(String[]::new));
        } catch (RuntimeException e) {
            throw new AssertionError(where + ": '" + String.join(" ", args) + "' does not parse: " + e.getMessage(), e);
        }
    }

    /** A JSON array in a Dockerfile exec form or a YAML flow sequence of double-quoted strings. */
    private static List<String> array(String json) throws Exception {
        return Arrays.asList(WireJson.lenient().readValue(json, String[].class));
    }

    @Test
    void theDockerfileRunsTheRealLauncherWithRealSettingsAndCommands() throws Exception {
        String dockerfile = read("Dockerfile");
        assertOnlyKnownVariables("Dockerfile");
        Matcher entry = Pattern.compile("(?m)^ENTRYPOINT (\\[.*])$").matcher(dockerfile);
        assertThat(entry.find()).as("an exec-form ENTRYPOINT").isTrue();
        List<String> entrypoint = array(entry.group(1));
        assertThat(entrypoint.getLast()).isEqualTo(Main.class.getName());
        assertThat(entrypoint).contains("/opt/iac/iac-cli.jar:/opt/iac/lib/*");
        assertThat(dockerfile)
                .contains("cp cli/target/iac-cli.jar /opt/iac/")
                .contains("cp -r cli/target/lib /opt/iac/lib");
        assertThat(Files.readString(ROOT.resolve("cli/pom.xml"))).contains("<finalName>iac-cli</finalName>");

        Matcher cmd = Pattern.compile("(?m)^CMD (\\[.*])$").matcher(dockerfile);
        int commands = 0;
        while (cmd.find()) {
            assertParses(array(cmd.group(1)), "Dockerfile CMD");
            commands++;
        }
        assertThat(commands).as("CMDs of the server and agent images").isEqualTo(2);
        assertThat(dockerfile).contains("GET " + ApiPaths.READY + " ");
    }

    @Test
    void theComposeFileNamesRealSettingsAndItsAgentCommandParses() throws Exception {
        String compose = read("docker-compose.yml");
        assertOnlyKnownVariables("docker-compose.yml");
        Matcher command = Pattern.compile("(?s)\\n  agent:.*?\\n    command: (\\[.*?])\\n")
                .matcher(compose);
        assertThat(command.find()).as("the agent service's command").isTrue();
        List<String> agent = array(command.group(1));
        assertParses(agent, "docker-compose.yml agent");
        assertThat(agent.get(agent.indexOf("--server") + 1))
                .contains("server-a:8080")
                .contains("server-b:8080");
        for (String service : List.of("postgres:", "redis:", "server-a:", "server-b:", "agent:")) {
            assertThat(compose).as("service %s", service).contains("\n  " + service);
        }
    }

    @Test
    void theSystemdUnitStartsTheAgentWithRealOptions() throws Exception {
        String unit = read("systemd/iac-agent.service").replace("\\\n", " ");
        assertOnlyKnownVariables("systemd/iac-agent.env");
        String exec =
                unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        String afterMain = exec.substring(exec.indexOf(Main.class.getName())
                        + Main.class.getName().length())
                .trim();
        List<String> args = new ArrayList<>(Stream.of(afterMain.split("\\s+")).collect(Collectors.toList()));
        assertThat(args.getFirst()).isEqualTo("agent");
        assertParses(args, "iac-agent.service ExecStart");
        assertThat(unit).contains("KillSignal=SIGTERM");
        // systemd must wait longer than the agent's own drain (--drain-timeout + --cancel-grace) before SIGKILL.
        int drain = Integer.parseInt(args.get(args.indexOf("--drain-timeout") + 1));
        int grace = Integer.parseInt(args.get(args.indexOf("--cancel-grace") + 1));
        Matcher stop = Pattern.compile("TimeoutStopSec=(\\d+)").matcher(unit);
        assertThat(stop.find()).isTrue();
        assertThat(Integer.parseInt(stop.group(1))).isGreaterThan(drain + grace);
    }
}
