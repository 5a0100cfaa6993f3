package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * Plan review in the browser: a planned run's Confirm button (with a comment) queues its apply and the page names who
 * confirmed and what they said; Discard asks first, then ends the run discarded; a destroy shows its warning and
 * "Confirm and destroy"; a token that may only plan sees no buttons. Each click is checked against the server's view.
 */
class WebUiReviewTest {
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
    }

    @AfterAll
    static void stop() {
        if (ui != null) ui.close();
    }

    @Test
    void confirmWithACommentQueuesTheApplyAndShowsWhoConfirmed() {
        String ws = workspaceWaitingForConfirmation("ui-confirm");
        TaskView planned = planned(ws, null);
        browser.signInAfresh(server.adminToken());
        browser.open("#/runs/" + planned.taskId());
        browser.until(
                "the confirm button",
                () -> browser.driver.findElements(By.id("confirm")).stream()
                        .findFirst()
                        .orElse(null));
        browser.until("the button naming an apply", () -> "Confirm and apply".equals(browser.text("#confirm")));
        assertThat(browser.driver.findElements(By.cssSelector(".destroy-warning")))
                .isEmpty();

        browser.driver.findElement(By.id("review-comment")).sendKeys("looks right to me");
        browser.driver.findElement(By.id("confirm")).click();

        browser.until(
                "the run queued for its apply", () -> browser.driver.getTitle().contains("(queued)"));
        TaskView after = task(planned.taskId());
        assertThat(after.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(after.reviewComment()).isEqualTo("looks right to me");
        assertThat(after.applyPlanOf()).isEqualTo(planned.taskId());
        browser.until("who confirmed it", () -> browser.driver.getPageSource().contains("Confirmed by"));
        assertThat(browser.driver.getPageSource()).contains("looks right to me").contains(after.reviewedBy());
        assertThat(browser.driver.findElements(By.id("confirm"))).isEmpty();
    }

    @Test
    void discardAsksFirstThenEndsTheRunDiscardedAndFreesTheLock() {
        String ws = workspaceWaitingForConfirmation("ui-discard");
        TaskView planned = planned(ws, null);
        browser.signInAfresh(server.adminToken());
        browser.open("#/runs/" + planned.taskId());
        browser.until(
                "the discard button",
                () -> browser.driver.findElements(By.id("discard")).stream()
                        .findFirst()
                        .orElse(null));
        browser.driver.findElement(By.id("review-comment")).sendKeys("wrong branch");

        browser.driver.findElement(By.id("discard")).click();
        browser.driver.switchTo().alert().dismiss(); // changed their mind
        assertThat(task(planned.taskId()).status()).isEqualTo(TaskStatus.PLANNED);

        browser.driver.findElement(By.id("discard")).click();
        assertThat(browser.driver.switchTo().alert().getText()).contains(planned.taskId());
        browser.driver.switchTo().alert().accept();

        browser.until("the run discarded", () -> browser.driver.getTitle().contains("(discarded)"));
        TaskView after = task(planned.taskId());
        assertThat(after.status()).isEqualTo(TaskStatus.DISCARDED);
        assertThat(after.reviewComment()).isEqualTo("wrong branch");
        assertThat(server.workspace(ws).lock()).as("the lock is freed").isNull();
        browser.until("who discarded it", () -> browser.driver.getPageSource().contains("Discarded by"));
        assertThat(browser.driver.findElements(By.id("discard"))).isEmpty();
    }

    @Test
    void aDestroyShowsItsWarningAndATokenThatMayOnlyPlanGetsNoButtons() {
        String ws = workspaceWaitingForConfirmation("ui-destroy");
        TaskView planned = planned(ws, new RunOptions(true, false, List.of(), List.of()));
        browser.signInAfresh(server.adminToken());
        browser.open("#/runs/" + planned.taskId());
        destroyWarningShown();
        browser.until("the button naming a destroy", () -> "Confirm and destroy".equals(browser.text("#confirm")));

        browser.signInAfresh(server.userToken(Role.PLAN, ws));
        browser.open("#/runs/" + planned.taskId());
        browser.until(
                "the waiting notice", () -> browser.driver.getPageSource().contains("waits for someone who may apply"));
        assertThat(browser.driver.findElements(By.id("confirm"))).isEmpty();
        assertThat(browser.driver.findElements(By.id("discard"))).isEmpty();
        destroyWarningShown();
        assertThat(task(planned.taskId()).status()).isEqualTo(TaskStatus.PLANNED);
    }

    /** The page redraws a planned run's notice as it polls: read it until it holds, not once. */
    private static void destroyWarningShown() {
        browser.until("the destroy warning", () -> {
            String text = browser.text(".destroy-warning");
            return text != null && text.contains("destroys every resource");
        });
    }

    private static TaskView task(String id) {
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    /** A workspace of the test's own with auto-apply off (the test server's default is on). */
    private static String workspaceWaitingForConfirmation(String name) {
        String ws = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, ws),
                        new WorkspaceSettings(null, null, false),
                        WorkspaceView.class);
        return ws;
    }

    /** A plan_apply whose plan a simulated agent made, stored and reported: it waits for confirmation. */
    private static TaskView planned(String ws, RunOptions options) {
        Map<String, String> labels = server.ownPool("pool-" + ws);
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", ws);
        server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(ws, TaskAction.PLAN_APPLY, tf, null, null, labels, null, null, options),
                        TaskView.class);
        TestServer.RegisteredAgent agent = server.registerAgentInPool("planner-" + ws, "pool-" + ws);
        TaskAssignment task = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class)
                .tasks()
                .getFirst();
        ApiClient job = agent.job(task);
        String id = task.taskId();
        byte[] bundle = "a plan bundle".getBytes(StandardCharsets.UTF_8);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, id),
                new PhaseUpdate(task.attempt(), TaskPhase.PLANNING),
                Void.class);
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PLAN, id),
                new PlanReport(task.attempt(), new PlanSummary(List.of("terraform_data.x"), List.of(), List.of())),
                Void.class);
        job.put(
                ApiPaths.fill(ApiPaths.TASK_PLAN_FILE, id),
                new PlanFileUpload(
                        task.attempt(),
                        sha256(bundle),
                        null,
                        null,
                        Base64.getEncoder().encodeToString(bundle)),
                Void.class);
        TaskView planned = job.post(
                ApiPaths.fill(ApiPaths.TASK_RESULT, id),
                new TaskResult(task.attempt(), TaskStatus.PLANNED, 0, null, 0, null),
                TaskView.class);
        assertThat(planned.status()).isEqualTo(TaskStatus.PLANNED);
        return planned;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
