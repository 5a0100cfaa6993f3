package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile configuration against the task sandbox, with the real server, a real agent (a child JVM, so it can be
 * aimed at) and real Terraform. Queued by a token that holds the apply role on its own workspace only, its
 * {@code local-exec} tries to read the agent's identity file and spool, a concurrently running sibling task's
 * {@code terraform.tfvars.json} (holding a sensitive variable), {@code /proc/<agent>/environ} and every
 * {@code /proc/*&#47;cmdline}; to write into the plugin cache; to kill the agent; and to leave background processes
 * running. Each probe prints whether it got through. In the sandbox every one fails, the log and state hold no secret,
 * the sibling succeeds untouched and nothing of the run is left running. The same probes without the sandbox
 * ({@code --isolation none}) do read the identity file: proof that they would notice a hole.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SandboxEscapeEndToEndTest {
    static final String CLOUD_KEY = "AKIA-SandboxEscape-agent-env-7c1d";
    static final String SIBLING_SECRET = "sibling-db-password-5e0f1a";

    @TempDir
    static Path dir;
    /** One server for both tests; each kills its agent before it ends. */
    static E2eHarness system;

    @BeforeAll
    static void start() {
        system = new E2eHarness(dir);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    /**
     * The probes, as the shell script a {@code local-exec} runs. Every path is found from the run's own HOME, as an
     * attacker who knows the agent's layout would. {@code gate}: wait for a file {@code go} in the task directory first
     * (the test drops it there once the sibling runs). {@code destructive}: also kill the agent and leave processes.
     */
    static String probes(long agentPid, boolean gate, boolean destructive) {
        List<String> s = new ArrayList<>();
        s.add("set +e");
        if (gate) s.add("while [ ! -f \"$HOME/go\" ]; do sleep 0.2; done");
        s.add(
                "probe() { name=$1; shift; if \"$@\"; then echo \"PROBE $name GOT-THROUGH\"; else echo \"PROBE $name denied\"; fi; }");
        s.add("probe identity cat \"$HOME/../agent-identity.json\"");
        s.add("probe spool sh -c 'ls \"$HOME/../spool\" && cat \"$HOME\"/../spool/*'");
        s.add(
                "probe sibling-variables sh -c 'found=1; for f in \"$HOME\"/../*/terraform.tfvars.json; do [ \"$(dirname \"$f\")\" -ef \"$HOME\" ] && continue;"
                        + " cat \"$f\" && found=0; done; exit $found'");
        s.add("probe agent-environ sh -c 'tr \"\\\\0\" \"\\\\n\" < /proc/" + agentPid + "/environ'");
        s.add(
                "probe any-environ sh -c 'for f in /proc/[0-9]*/environ; do tr \"\\\\0\" \"\\\\n\" < $f; done | grep -q AKIA && for f in /proc/[0-9]*/environ; do tr \"\\\\0\" \"\\\\n\" < $f; done'");
        s.add(
                "echo CMDLINES-BEGIN; for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done; echo CMDLINES-END");
        s.add("echo LISTING-BEGIN; ls -a \"$HOME/..\"; echo LISTING-END");
        s.add("probe cache-write touch \"$TF_PLUGIN_CACHE_DIR/poisoned\"");
        s.add("probe cache-write-by-path touch \"$HOME/../plugin-cache/poisoned-too\"");
        if (destructive) {
            s.add("probe kill-agent kill -9 " + agentPid);
            // Redirected: Terraform waits for whatever holds the provisioner's output open.
            s.add(
                    "(sleep 300 >/dev/null 2>&1 &) ; nohup sleep 301 >/dev/null 2>&1 & setsid sleep 302 >/dev/null 2>&1 < /dev/null &");
            s.add("echo BACKGROUND-STARTED");
        }
        s.add("echo PROBES-DONE");
        return String.join("\n", s);
    }

    static ObjectNode json(String text) throws IOException {
        return (ObjectNode) WireJson.lenient().readTree(text);
    }

    /** The lines a provisioner printed between two markers, without Terraform's prefix. */
    static List<String> between(String log, String begin, String end) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : log.lines().toList()) {
            int at = line.indexOf("(local-exec): ");
            if (at < 0) continue;
            String text = line.substring(at + "(local-exec): ".length()).strip();
            if (text.equals(begin)) in = true;
            else if (text.equals(end)) in = false;
            else if (in) out.add(text);
        }
        return out;
    }

    /** The agent token the agent keeps in its work directory (written just after it registered). */
    static String savedAgentToken(Path workDir) throws IOException {
        Path identity = workDir.resolve("agent-identity.json");
        await("the agent saved its identity").atMost(Duration.ofSeconds(10)).until(() -> Files.isRegularFile(identity));
        String token = Files.readString(identity).replaceAll("(?s).*\"agent_token\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        assertThat(token).startsWith("eyJ");
        return token;
    }

    static Optional<Path> taskDirectory(Path workDir, String taskId) throws IOException {
        try (Stream<Path> entries = Files.list(workDir)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(taskId + "-a"))
                    .findFirst();
        }
    }

    @Test
    void aHostileConfigurationInTheSandboxReachesNothingOfTheAgentOrItsSiblingAndLeavesNothingRunning()
            throws Exception {
        // Plans may run beside an apply: the sibling runs on the same agent while the hostile apply probes.
        system.server.setPool("default-pool", 3, true);
        // A wrapper that holds the sibling's plan until the test releases it, so it is running during the probes.
        Path terraform = system.terraformDouble(
                "holding-terraform",
                "if [ \"$1\" = plan ] && grep -q sibling-marker main.tf.json; then echo 'sibling: holding its plan';"
                        + " while [ ! -f release ]; do sleep 0.2; done; fi",
                true);
        var agent = system.startAgentProcess(
                "target",
                system.server.baseUrl(),
                Map.of("AWS_SECRET_ACCESS_KEY", CLOUD_KEY),
                "--terraform",
                terraform.toString());
        long agentPid = agent.process().pid();
        Path work = agent.workDir();
        String agentToken = savedAgentToken(work);

        String marker = "escape-" + UUID.randomUUID();
        String attacker = system.server.userToken(Role.APPLY, "hostile");
        TaskView hostile = system.server
                .withToken(attacker)
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                "hostile",
                                TaskAction.PLAN_APPLY,
                                json(E2eHarness.localExecConfig(marker, probes(agentPid, true, true))),
                                null,
                                null,
                                null,
                                null,
                                null),
                        TaskView.class);
        await("the hostile run waits at its gate")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() ->
                        E2eHarness.plain(system.logText(hostile.taskId())).contains("Provisioning with 'local-exec'"));

        system.server
                .admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, "sibling", "db_password"),
                        new SetVariableRequest(TextNode.valueOf(SIBLING_SECRET), true),
                        VariableView.class);
        String sibling = system.createTask("sibling", "plan", """
                {"variable": {"db_password": {"type": "string", "sensitive": true}},
                 "resource": {"terraform_data": {"sibling-marker": {"input": "${var.db_password}"}}}}""");
        await("the sibling holds its plan")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> system.logText(sibling).contains("sibling: holding its plan"));
        Path siblingDir = taskDirectory(work, sibling).orElseThrow();
        assertThat(Files.readString(siblingDir.resolve("terraform.tfvars.json")))
                .as("the sibling's secret is on disk, beside")
                .contains(SIBLING_SECRET);

        Path hostileDir = taskDirectory(work, hostile.taskId()).orElseThrow();
        Files.writeString(hostileDir.resolve("go"), "");
        TaskView probed = await("the hostile run ends")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> system.show(hostile.taskId()), t -> t.status().isTerminal());
        Files.writeString(siblingDir.resolve("release"), "");
        TaskView siblingDone = await("the sibling ends")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> system.show(sibling), t -> t.status().isTerminal());

        String log = E2eHarness.plain(system.logText(hostile.taskId()));
        System.out.println("SandboxEscapeEndToEndTest: what the probes printed:\n"
                + String.join(
                        "\n",
                        log.lines()
                                .filter(l -> l.contains("(local-exec): ") && !l.contains("Executing:"))
                                .toList()));
        assertThat(probed.status()).as(log).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(log).contains("PROBES-DONE");
        for (String probe : List.of(
                "identity",
                "spool",
                "sibling-variables",
                "agent-environ",
                "any-environ",
                "cache-write",
                "cache-write-by-path",
                "kill-agent")) {
            assertThat(log)
                    .as("probe " + probe)
                    .contains("PROBE " + probe + " denied")
                    .doesNotContain("PROBE " + probe + " GOT-THROUGH");
        }
        for (String secret : List.of(
                agentToken,
                CLOUD_KEY,
                SIBLING_SECRET,
                system.server.poolToken(),
                system.server.adminToken(),
                attacker)) {
            assertThat(log).as("the log holds no secret").doesNotContain(secret);
        }
        assertThat(log).doesNotContain("eyJ");
        String state = system.server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "hostile"));
        assertThat(state).as("nor the state and its outputs").doesNotContain(agentToken, CLOUD_KEY, SIBLING_SECRET);

        assertThat(between(log, "LISTING-BEGIN", "LISTING-END"))
                .as("the work directory as the run sees it")
                .containsExactlyInAnyOrder(
                        ".", "..", "plugin-cache", hostileDir.getFileName().toString());
        List<String> cmdlines = between(log, "CMDLINES-BEGIN", "CMDLINES-END");
        // Not the agent (java), not the sibling's Terraform or sandbox (its directory's name), nothing of the host.
        assertThat(cmdlines)
                .as("its own processes only")
                .anySatisfy(c -> assertThat(c).startsWith("/usr/bin/bwrap "))
                .noneSatisfy(c -> assertThat(c)
                        .containsAnyOf(
                                "java", "iacrunner", siblingDir.getFileName().toString(), "systemd", "sshd"));
        assertThat(log).contains("BACKGROUND-STARTED");
        assertThat(work.resolve("plugin-cache/poisoned")).doesNotExist();
        assertThat(work.resolve("plugin-cache/poisoned-too")).doesNotExist();

        assertThat(agent.process().isAlive()).as("the agent survived").isTrue();
        assertThat(system.server.admin().get(ApiPaths.AGENTS, AgentList.class).agents())
                .filteredOn(a -> a.agentId().equals(agent.agentId()))
                .singleElement()
                .satisfies(a -> assertThat(a.status()).isNotEqualTo("offline"));
        assertThat(siblingDone.status()).as("the sibling ran untouched").isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(siblingDone.logComplete()).isTrue();
        assertThat(E2eHarness.plain(system.logText(sibling)))
                .contains("Plan: 1 to add")
                .doesNotContain(SIBLING_SECRET);
        await("nothing of the hostile run left")
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(
                        () -> assertThat(TaskProcesses.find(work, marker)).isEmpty());
        agent.kill();
    }

    @Test
    void withoutTheSandboxTheSameProbesReadTheAgentsIdentity() throws Exception {
        var agent = system.startAgentProcess(
                "exposed", system.server.baseUrl(), Map.of("AWS_SECRET_ACCESS_KEY", CLOUD_KEY), "--isolation", "none");
        assertThat(Files.readString(agent.log())).contains("WARNING: --isolation none");
        String agentToken = savedAgentToken(agent.workDir());
        String marker = "exposed-" + UUID.randomUUID();
        TaskView task = system.server
                .withToken(system.server.userToken(Role.APPLY, "exposed"))
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                "exposed",
                                TaskAction.PLAN_APPLY,
                                json(E2eHarness.localExecConfig(
                                        marker, probes(agent.process().pid(), false, false))),
                                null,
                                null,
                                null,
                                null,
                                null),
                        TaskView.class);
        TaskView done = await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> system.show(task.taskId()), t -> t.status().isTerminal());

        String log = E2eHarness.plain(system.logText(task.taskId()));
        assertThat(done.status()).as(log).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(log)
                .as("the positive control: the probes do notice a hole")
                .contains("PROBE identity GOT-THROUGH", agentToken, "PROBE agent-environ GOT-THROUGH", CLOUD_KEY);
        assertThat(system.server.admin().get(ApiPaths.AGENTS, AgentList.class).agents())
                .filteredOn(a -> a.agentId().equals(agent.agentId()))
                .singleElement()
                .satisfies(
                        a -> assertThat(a.isolation()).as("the server shows it").hasToString("NONE"));
        agent.kill();
    }
}
