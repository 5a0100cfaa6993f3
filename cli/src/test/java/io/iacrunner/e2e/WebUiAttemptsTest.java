package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/**
 * A run retried after its agent was lost: its page follows the current attempt and offers the earlier one, whose whole
 * log it then shows (simulated agents, the server's clock stepped past the lost agent's lease).
 */
class WebUiAttemptsTest {
    @TempDir
    static Path dir;

    static ServerAndBrowser ui;
    static TestServer server;
    static Browser browser;

    @BeforeAll
    static void start() throws IOException {
        ui = ServerAndBrowser.start(dir);
        server = ui.server();
        browser = ui.browser();
        browser.signIn(server.adminToken());
    }

    @AfterAll
    static void stop() {
        if (ui != null) ui.close();
    }

    @Test
    void aRetriedRunsPageShowsTheCurrentAttemptAndOnRequestTheEarlierOnesWholeLog() {
        var labels = server.ownPool("web-attempts");
        var lost = server.registerAgentInPool("web-lost", "web-attempts");
        var next = server.registerAgentInPool("web-next", "web-attempts");
        String taskId = server.queuePlan("web-attempts", labels).taskId();
        TaskAssignment first = claim(lost);
        upload(lost, first, "first attempt", 3);
        server.clock().advance(Duration.ofMinutes(10)); // past the lost agent's lease, within its token's hour
        next.client()
                .post(
                        ApiPaths.AGENT_PING,
                        new AgentPing(next.agentId(), false, 0, 3, false, List.of(), 0, 0, "test"),
                        PingReply.class);
        server.server().leases().recoverOnce();
        TaskAssignment second = claim(next);
        assertThat(second.attempt()).isEqualTo(2);
        upload(next, second, "second attempt", 2);
        next.job(second)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, taskId),
                        new TaskResult(second.attempt(), TaskStatus.SUCCEEDED, 0, null, 2, null),
                        TaskView.class);

        browser.open("#/runs/" + taskId);
        browser.until("the current attempt's log, whole", () -> {
            Browser.LogModel m = browser.log(true);
            return m != null && "ended".equals(m.connection()) && m.count() == 2 ? m : null;
        });
        assertThat(browser.log(true).texts()).containsExactly("second attempt 0", "second attempt 1");
        var picker = new Select(browser.until(
                "the attempt picker",
                () -> browser.driver.findElements(By.id("log-attempt")).stream()
                        .filter(e -> e.isDisplayed())
                        .findFirst()
                        .orElse(null)));
        assertThat(picker.getOptions())
                .extracting(o -> o.getText())
                .containsExactly("attempt 2 (current)", "attempt 1");

        picker.selectByVisibleText("attempt 1");
        Browser.LogModel earlier = browser.until("the first attempt's log, whole", () -> {
            Browser.LogModel m = browser.log(true);
            return m != null && "ended".equals(m.connection()) && m.texts().contains("first attempt 0") ? m : null;
        });
        assertThat(earlier.texts()).containsExactly("first attempt 0", "first attempt 1", "first attempt 2");
        assertThat(earlier.seqs()).containsExactly(0L, 1L, 2L);

        new Select(browser.driver.findElement(By.id("log-attempt"))).selectByVisibleText("attempt 2 (current)");
        browser.until("back to the current attempt", () -> {
            Browser.LogModel m = browser.log(true);
            return m != null && "ended".equals(m.connection()) && m.texts().contains("second attempt 0") ? m : null;
        });
        assertThat(browser.log(true).texts()).containsExactly("second attempt 0", "second attempt 1");
    }

    private static TaskAssignment claim(TestServer.RegisteredAgent agent) {
        var pulled = agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 1, false, 0),
                        io.iacrunner.protocol.PullResponse.class);
        assertThat(pulled.tasks()).hasSize(1);
        return pulled.tasks().getFirst();
    }

    private static void upload(TestServer.RegisteredAgent agent, TaskAssignment t, String text, int count) {
        List<LogLine> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) lines.add(new LogLine(i, Instant.now(), LogStream.STDOUT, text + " " + i));
        agent.job(t)
                .post(ApiPaths.fill(ApiPaths.TASK_LOGS, t.taskId()), new LogBatch(t.attempt(), 0, lines), LogAck.class);
    }
}
