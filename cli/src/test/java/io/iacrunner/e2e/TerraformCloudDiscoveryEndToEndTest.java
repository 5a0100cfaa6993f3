package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Groundwork for Terraform's {@code cloud} block, with the real terraform 1.11 binary: over HTTPS (Terraform insists)
 * with the server's certificate given to Terraform as its CA through {@code SSL_CERT_FILE}, and a token through a CLI
 * configuration file's {@code credentials "HOST:PORT"} block (no {@code terraform login}), {@code terraform init} gets
 * past service discovery and the API client's ping to the organisation lookup, which is not served yet.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TerraformCloudDiscoveryEndToEndTest {
    @TempDir
    static Path dir;

    static TestCertificates certs;
    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(TestCertificates.canCreate(), "needs the JDK's keytool and openssl to make a test certificate");
        certs = TestCertificates.create(Files.createDirectories(dir.resolve("tls")));
        system = new E2eHarness(
                dir.resolve("server"), c -> c.tls(ServerConfig.Tls.pem(certs.certificatePem(), certs.privateKeyPem())));
    }

    @AfterAll
    static void stop() {
        if (system != null) system.close();
    }

    /** {@code terraform init} in a directory whose {@code cloud} block names this server; output and errors together. */
    static String init(Map<String, String> extraEnv) throws Exception {
        String host = "localhost:" + system.server.baseUrl().getPort();
        Path work = Files.createTempDirectory(dir, "cloud");
        Files.writeString(work.resolve("main.tf"), """
                terraform {
                  cloud {
                    hostname     = "%s"
                    organization = "acme"
                    workspaces {
                      name = "app"
                    }
                  }
                }
                resource "terraform_data" "x" {}
                """.formatted(host));
        Path cliConfig = Files.writeString(work.resolve("cli.tfrc"), """
                credentials "%s" {
                  token = "%s"
                }
                """.formatted(host, system.server.adminToken()));
        List<String> command = List.of(E2eHarness.terraform().toString(), "init", "-no-color", "-input=false");
        Path log = work.resolve("init.log");
        ProcessBuilder b = new ProcessBuilder(new ArrayList<>(command))
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        b.environment().clear();
        b.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        b.environment().put("HOME", work.toString());
        b.environment().put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        b.environment().put("CHECKPOINT_DISABLE", "1");
        b.environment().putAll(extraEnv);
        Process p = b.start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS))
                .as("terraform init finished")
                .isTrue();
        return Files.readString(log);
    }

    @Test
    void initGetsPastDiscoveryAndThePingToTheOrganisationLookup() throws Exception {
        String output = init(Map.of("SSL_CERT_FILE", certs.certificatePem().toString()));
        assertThat(output)
                .as("discovery and the ping passed: Terraform asked for the organisation, which is not served yet")
                .contains("organization \"acme\" at host localhost:"
                        + system.server.baseUrl().getPort() + " not found")
                .doesNotContain("x509")
                .doesNotContain("discovery");
    }

    @Test
    void withoutThePrivateCaTerraformRefusesTheServer() throws Exception {
        String output = init(Map.of());
        assertThat(output).contains("x509").doesNotContain("organization \"acme\"");
    }
}
