package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Terraform runs third-party code. A {@code local-exec} that prints its whole environment and lists its home must
 * find no credential: not the agent's environment (which here holds a cloud key and the admin token), not the pool
 * token, the agent token or the job token, in its output or anywhere in the stored log.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CredentialIsolationEndToEndTest {
    static final String CLOUD_KEY = "AKIA-CredentialIsolationE2E-9f3b2c";

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void aTaskThatPrintsItsEnvironmentFindsNoCredential() throws Exception {
        String adminToken = system.server.adminToken();
        String poolToken = system.server.poolToken();
        var agent = system.startAgentProcess(
                "isolated",
                system.server.baseUrl(),
                Map.of("AWS_SECRET_ACCESS_KEY", CLOUD_KEY, "IAC_TOKEN", adminToken, "TF_VAR_leak", CLOUD_KEY));

        String id = system.createTask(
                "isolation",
                "plan_apply",
                E2eHarness.localExecConfig(
                        "isolation", "env; echo HOME_LISTING; ls -la ~; cat ~/.terraformrc; echo END_OF_ENV"));
        E2eHarness.CliResult followed = system.cli("logs", id, "--follow");
        TaskView done = system.show(id);
        assertThat(done.status()).as(followed.out()).isEqualTo(TaskStatus.SUCCEEDED);

        String log = E2eHarness.plain(system.logText(id));
        assertThat(log).contains("END_OF_ENV", "TF_IN_AUTOMATION=1", "HOME_LISTING");
        String agentToken = Files.readString(agent.workDir().resolve("agent-identity.json"))
                .replaceAll("(?s).*\"agent_token\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        assertThat(agentToken).startsWith("eyJ");
        for (String secret : List.of(CLOUD_KEY, adminToken, poolToken, agentToken)) {
            assertThat(log).doesNotContain(secret);
        }
        assertThat(log).as("no JWT (agent or job token) at all").doesNotContain("eyJ");
        assertThat(log).as("no API token").doesNotContain("iacrt_");
        assertThat(log).doesNotContain("IAC_TOKEN=", "AWS_SECRET_ACCESS_KEY=", "TF_VAR_leak=");
    }
}
