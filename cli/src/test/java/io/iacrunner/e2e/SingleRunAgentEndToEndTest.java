package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./iac agent --single} (Terraform Cloud's -single): one task, run and reported, then exit 0. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SingleRunAgentEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void aSingleRunAgentRunsOneTaskReportsItDeregistersAndExitsZero() throws Exception {
        try (E2eHarness system = new E2eHarness(dir)) {
            String first = system.createTask("single-1", "plan_apply", E2eHarness.printingConfig(3, null));
            String second = system.createTask("single-2", "plan", E2eHarness.printingConfig(3, null));
            var agent = system.startAgentProcess("one-shot", "--single");

            assertThat(agent.process().waitFor(120, TimeUnit.SECONDS))
                    .as("the agent exits by itself")
                    .isTrue();
            assertThat(agent.process().exitValue())
                    .as(Files.readString(agent.log()))
                    .isZero();

            TaskView done = system.show(first);
            assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(done.agentId()).isEqualTo(agent.agentId());
            assertThat(done.logComplete())
                    .as("every line reached the server before it left")
                    .isTrue();
            assertThat(system.show(second).status()).as("one task only").isEqualTo(TaskStatus.QUEUED);
            assertThat(system.server
                            .admin()
                            .get(ApiPaths.AGENTS, AgentList.class)
                            .agents())
                    .filteredOn(a -> a.agentId().equals(agent.agentId()))
                    .singleElement()
                    .satisfies(a -> assertThat(a.status()).as("deregistered").isEqualTo("offline"));
            assertThat(Files.readString(agent.log())).doesNotContain("log WebSocket unavailable");
        }
    }
}
