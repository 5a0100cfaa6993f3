package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.Transport;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Terraform's {@code cloud} block against this server, with the real terraform 1.11 binary unmodified and offline, over
 * HTTPS (Terraform insists) with the server's certificate given to Terraform as its CA through {@code SSL_CERT_FILE},
 * and a token in a CLI configuration file's {@code credentials "HOST:PORT"} block ({@code TF_CLI_CONFIG_FILE}, no
 * {@code terraform login}): discovery, init, plan, apply answered yes and no, {@code -auto-approve}, Ctrl-C, {@code
 * output} and {@code state list}, and the refusals Terraform shows. Every run is an ordinary task of the workspace, run
 * by the agent, its stored log complete.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TerraformCloudEndToEndTest {
    @TempDir
    static Path dir;

    static TestCertificates certs;
    static E2eHarness system;
    static ApiClient admin;
    static String host;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(TestCertificates.canCreate(), "needs the JDK's keytool and openssl to make a test certificate");
        certs = TestCertificates.create(Files.createDirectories(dir.resolve("tls")));
        system = new E2eHarness(
                dir.resolve("server"), c -> c.tls(ServerConfig.Tls.pem(certs.certificatePem(), certs.privateKeyPem())));
        Transport trusting = Transport.of(certs.certificatePem(), false);
        system.startAgent("cloud", c -> c.transport(trusting));
        String token = system.server.adminToken();
        admin = new ApiClient(system.server.baseUrl(), () -> token, trusting);
        host = "localhost:" + system.server.baseUrl().getPort();
    }

    @AfterAll
    static void stop() {
        if (system != null) system.close();
    }

    /** What one Terraform command ended with: its output and errors together, without colours (the agent's). */
    record Run(int exit, String output) {}

    /**
     * A directory whose cloud block names workspace {@code workspace} of organisation {@code org} on this server;
     * {@code trusted}: Terraform is given the server's CA.
     */
    record Desk(Path path, Path cliConfig, String workspace, boolean trusted) {
        static Desk of(String workspace, String token, String resources) throws IOException {
            return of("default", workspace, token, resources);
        }

        static Desk of(String org, String workspace, String token, String resources) throws IOException {
            Path path = Files.createDirectories(dir.resolve("desk-" + workspace));
            Files.writeString(path.resolve("main.tf"), """
                    terraform {
                      cloud {
                        hostname     = "%s"
                        organization = "%s"
                        workspaces {
                          name = "%s"
                        }
                      }
                    }
                    %s
                    """.formatted(host, org, workspace, resources));
            Path cliConfig = Files.writeString(dir.resolve("cli-" + workspace + ".tfrc"), """
                    credentials "%s" {
                      token = "%s"
                    }
                    """.formatted(host, token));
            return new Desk(path, cliConfig, workspace, true);
        }

        Desk withoutTheCa() {
            return new Desk(path, cliConfig, workspace, false);
        }

        Run terraform(String stdin, String... args) throws Exception {
            Process p = start(stdin, args);
            if (!p.waitFor(150, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("terraform " + String.join(" ", args) + " did not finish");
            }
            return new Run(p.exitValue(), E2eHarness.plain(Files.readString(log(args))));
        }

        Process start(String stdin, String... args) throws IOException {
            List<String> command =
                    new ArrayList<>(List.of(E2eHarness.terraform().toString()));
            command.addAll(List.of(args));
            Path input = Files.writeString(dir.resolve("stdin-" + System.nanoTime()), stdin);
            ProcessBuilder b = new ProcessBuilder(command)
                    .directory(path.toFile())
                    .redirectErrorStream(true)
                    .redirectInput(input.toFile())
                    .redirectOutput(log(args).toFile());
            Map<String, String> env = b.environment();
            env.clear();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("HOME", path.toString());
            env.put("TF_CLI_CONFIG_FILE", cliConfig.toString());
            if (trusted) env.put("SSL_CERT_FILE", certs.certificatePem().toString());
            env.put("CHECKPOINT_DISABLE", "1");
            env.put("TF_IN_AUTOMATION", "1");
            return b.start();
        }

        Path log(String... args) {
            return dir.resolve(
                    "terraform-" + workspace + "-" + String.join("_", args).replaceAll("[^a-z-]", "") + ".log");
        }

        void init() throws Exception {
            Run init = terraform("", "init", "-no-color", "-input=false");
            assertThat(init.exit()).as(init.output()).isZero();
            assertThat(init.output()).contains("HCP Terraform has been successfully initialized");
        }
    }

    static final String PRINTING = """
            resource "terraform_data" "x" {
              provisioner "local-exec" {
                command = "for i in 1 2 3; do echo cloud-line-$i; done"
              }
            }
            output "greeting" {
              value = "hello from ${terraform_data.x.id}"
            }
            """;

    static List<TaskView> tasks(String workspace) {
        return admin.get(ApiPaths.TASKS + "?workspace=" + workspace, TaskList.class)
                .tasks();
    }

    static WorkspaceView workspace(String name) {
        return admin.get(ApiPaths.fill(ApiPaths.WORKSPACE, name), WorkspaceView.class);
    }

    static String storedLog(String taskId) {
        return E2eHarness.plain(admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, taskId)));
    }

    @Test
    void initGetsPastDiscoveryAndThePingToTheOrganisationLookup() throws Exception {
        Desk desk = Desk.of("acme", "cloud-discovery", system.server.adminToken(), PRINTING);
        Run init = desk.terraform("", "init", "-no-color", "-input=false");
        assertThat(init.output())
                .as("discovery and the ping passed: Terraform asked for the organisation, which does not exist")
                .contains("organization \"acme\" at host " + host + " not found")
                .doesNotContain("x509")
                .doesNotContain("discovery");
    }

    @Test
    void withoutThePrivateCaTerraformRefusesTheServer() throws Exception {
        Run init = Desk.of("cloud-untrusted", system.server.adminToken(), PRINTING)
                .withoutTheCa()
                .terraform("", "init", "-no-color", "-input=false");
        assertThat(init.exit()).isNotZero();
        assertThat(init.output()).contains("x509").doesNotContain("organization \"default\"");
    }

    @Test
    void planStreamsTheAgentsLogIntoTheTerminalAndIsAnOrdinaryPlanTask() throws Exception {
        Desk desk = Desk.of("cloud-plan", system.server.adminToken(), PRINTING);
        desk.init();
        Run plan = desk.terraform("", "plan", "-no-color", "-input=false");
        assertThat(plan.exit()).as(plan.output()).isZero();
        assertThat(plan.output())
                .contains("Running plan in HCP Terraform")
                .contains("terraform_data.x will be created")
                .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
        List<TaskView> tasks = tasks("cloud-plan");
        assertThat(tasks).singleElement().satisfies(t -> {
            assertThat(t.action()).isEqualTo(TaskAction.PLAN);
            assertThat(t.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.logComplete()).isTrue();
            assertThat(storedLog(t.taskId())).contains("terraform_data.x will be created");
            assertThat(plan.output()).contains("iac-runner task " + t.taskId());
        });
        assertThat(admin.get(ApiPaths.AUDIT_EVENTS, AuditEventList.class).events())
                .anySatisfy(e -> assertThat(e.subject()).isEqualTo(tasks.get(0).taskId()));
    }

    @Test
    void applyAnsweredYesAppliesOnTheAgentAndOutputAndStateListReadTheStoredState() throws Exception {
        Desk desk = Desk.of("cloud-yes", system.server.adminToken(), PRINTING);
        desk.init();
        Run apply = desk.terraform("yes\n", "apply", "-no-color");
        assertThat(apply.exit()).as(apply.output()).isZero();
        assertThat(apply.output())
                .contains("Do you want to perform these actions in workspace \"cloud-yes\"?")
                .contains("cloud-line-3")
                .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
        TaskView task = tasks("cloud-yes").get(0);
        assertThat(task.action()).isEqualTo(TaskAction.PLAN_APPLY);
        assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(task.reviewedBy()).isNotNull();
        assertThat(task.logComplete()).isTrue();
        assertThat(storedLog(task.taskId())).contains("cloud-line-3");
        assertThat(workspace("cloud-yes").currentStateVersion()).isEqualTo(1);

        Run output = desk.terraform("", "output", "-no-color", "-raw", "greeting");
        assertThat(output.exit()).as(output.output()).isZero();
        assertThat(output.output()).startsWith("hello from ");
        Run list = desk.terraform("", "state", "list");
        assertThat(list.exit()).as(list.output()).isZero();
        assertThat(list.output().strip()).isEqualTo("terraform_data.x");
    }

    @Test
    void applyAnsweredNoDiscardsThePlanAndAppliesNothing() throws Exception {
        Desk desk = Desk.of("cloud-no", system.server.adminToken(), PRINTING);
        desk.init();
        Run apply = desk.terraform("no\n", "apply", "-no-color");
        assertThat(apply.exit()).as(apply.output()).isNotZero();
        assertThat(apply.output()).contains("Apply discarded.").doesNotContain("cloud-line-1");
        TaskView task = tasks("cloud-no").get(0);
        assertThat(task.status()).isEqualTo(TaskStatus.DISCARDED);
        assertThat(workspace("cloud-no").currentStateVersion()).isNull();
    }

    @Test
    void applyWithAutoApproveAppliesWithoutAsking() throws Exception {
        Desk desk = Desk.of("cloud-auto", system.server.adminToken(), PRINTING);
        desk.init();
        Run apply = desk.terraform("", "apply", "-no-color", "-auto-approve");
        assertThat(apply.exit()).as(apply.output()).isZero();
        assertThat(apply.output())
                .doesNotContain("Do you want to perform these actions")
                .contains("cloud-line-2")
                .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
        TaskView task = tasks("cloud-auto").get(0);
        assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(task.reviewedBy()).isNull();
        assertThat(workspace("cloud-auto").currentStateVersion()).isEqualTo(1);
    }

    @Test
    void ctrlCDuringALongLocalExecCancelsTheTask() throws Exception {
        Desk desk = Desk.of("cloud-cancel", system.server.adminToken(), """
                resource "terraform_data" "slow" {
                  provisioner "local-exec" {
                    command = "echo slow-started; sleep 120"
                  }
                }
                """);
        desk.init();
        Process apply = desk.start("", "apply", "-no-color", "-auto-approve");
        TaskView applying = Awaitility.await("the apply runs its local-exec")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> tasks("cloud-cancel").stream()
                                .filter(t -> t.phase() == TaskPhase.APPLYING)
                                .filter(t -> storedLog(t.taskId()).contains("slow-started"))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        new ProcessBuilder("kill", "-INT", Long.toString(apply.pid())).start().waitFor();
        assertThat(apply.waitFor(90, TimeUnit.SECONDS)).as("terraform exits").isTrue();
        Awaitility.await("the task ends canceled")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> admin.get(ApiPaths.fill(ApiPaths.TASK, applying.taskId()), TaskView.class)
                        .status()
                        .isTerminal());
        assertThat(admin.get(ApiPaths.fill(ApiPaths.TASK, applying.taskId()), TaskView.class)
                        .status())
                .as(Files.readString(desk.log("apply", "-no-color", "-auto-approve")))
                .isEqualTo(TaskStatus.CANCELED);
    }

    @Test
    void aTokenWithoutAccessGetsTerraformsOwnErrorAndNothingIsCreated() throws Exception {
        TokenCreated other = admin.post(
                ApiPaths.TOKENS,
                new CreateTokenRequest("elsewhere", false, Map.of("cloud-elsewhere", Role.APPLY), null, null),
                TokenCreated.class);
        Desk desk = Desk.of("cloud-hidden", other.token(), PRINTING);
        Run init = desk.terraform("", "init", "-no-color", "-input=false");
        assertThat(init.exit()).isNotZero();
        assertThat(init.output()).contains("resource not found");
        assertThatThrownBy(() -> workspace("cloud-hidden"))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThat(tasks("cloud-hidden")).isEmpty();

        Desk wrong = Desk.of("cloud-wrong-token", "not-a-token-" + "x".repeat(20), PRINTING);
        Run refused = wrong.terraform("", "init", "-no-color", "-input=false");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.output()).contains("unauthorized");
    }
}
