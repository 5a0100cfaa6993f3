package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The UI shows a token only what its roles allow, as {@code GET /whoami} states them: a token with {@code read} on one
 * workspace lists only that workspace and gets no cancel button (and the server refuses the rest anyway), one with
 * {@code plan} gets one on plans but not on plan_applys, and the run page asks for the agents list, a global admin's
 * alone, only for a global admin.
 */
class WebUiPermissionsTest {
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
    void aTokenWithReadOnOneWorkspaceSeesOnlyThatWorkspaceAndNoCancelButton() {
        TaskView visible = queuedTask("perm-visible");
        queuedTask("perm-hidden");

        browser.signInAfresh(server.adminToken());
        browser.open("#/runs/" + visible.taskId());
        browser.until(
                "the admin's cancel button (so its absence below is not a broken page)",
                () -> cancelButtons().size() == 1 ? true : null);
        assertThat(browser.driver
                        .findElement(By.cssSelector("[data-nav=agents]"))
                        .isDisplayed())
                .isTrue();
        browser.driver.findElement(By.id("sign-out")).click();

        String token = server.userToken(Role.READ, "perm-visible");
        WhoAmI who = server.withToken(token).get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(who.kind()).isEqualTo("user");
        assertThat(who.workspaces()).containsExactly(Map.entry("perm-visible", Role.READ));
        browser.signIn(token);
        browser.open("#/");
        browser.until(
                "the workspace it may read",
                () -> browser.driver.findElements(By.linkText("perm-visible")).stream()
                        .findFirst()
                        .orElse(null));
        assertThat(browser.driver.findElements(By.cssSelector("tbody tr")))
                .as("workspaces listed")
                .hasSize(1);
        assertThat(browser.driver.findElements(By.linkText("perm-hidden"))).isEmpty();

        browser.open("#/runs/" + visible.taskId());
        browser.until("the run shown", () -> browser.driver.getTitle().contains("(queued)") ? true : null);
        assertThat(cancelButtons()).as("cancel buttons for a read token").isEmpty();
        assertThat(browser.driver
                        .findElement(By.cssSelector("[data-nav=agents]"))
                        .isDisplayed())
                .as("the agents page, which only a global admin may see, is not offered")
                .isFalse();
    }

    /** Who may queue a run may cancel it, in the UI as on the server (docs/decisions.md). */
    @Test
    void aPlanTokenGetsCancelButtonsOnAPlanButNotOnAPlanApply() {
        TaskView plan = queuedTask("perm-plan");
        TaskView planApply = queuedPlanApply("perm-plan");

        browser.signInAfresh(server.userToken(Role.PLAN, "perm-plan"));
        browser.open("#/runs/" + plan.taskId());
        browser.until("the plan's cancel button", () -> cancelButtons().size() == 1 ? true : null);

        browser.open("#/runs/" + planApply.taskId());
        browser.until(
                "the plan_apply shown",
                () -> browser.driver.getTitle().startsWith("Run " + planApply.taskId() + " (") ? true : null);
        assertThat(cancelButtons())
                .as("cancel buttons on a plan_apply for a plan token")
                .isEmpty();
    }

    @Test
    void theRunPageNamesItsAgentForAGlobalAdminAndNeverAsksForTheAgentsListForOtherTokens() {
        TaskView running = claimedTask("perm-agent", "perm-agent-pool", "perm-agent-host");
        String agentId = running.agentId();
        assertThat(agentId).isNotNull();

        browser.signInAfresh(server.adminToken());
        browser.open("#/runs/" + running.taskId());
        browser.until(
                "the agent named for the admin",
                () -> ("perm-agent-host (" + agentId + ")").equals(agentShown()) ? true : null);

        browser.driver.findElement(By.id("sign-out")).click();
        browser.signIn(server.userToken(Role.READ, "perm-agent"));
        browser.js("performance.clearResourceTimings()");
        browser.open("#/runs/" + running.taskId());
        browser.until("the run shown", () -> browser.driver.getTitle().contains("(running)") ? true : null);
        // The page polls the running task every 2 s and shows it each time: wait for three reads of it.
        browser.until("three reads of the run", () -> requests("/api/v1/tasks/" + running.taskId()) >= 3 ? true : null);
        assertThat(agentShown()).as("the agent by its id alone").isEqualTo(agentId);
        assertThat(requests("/api/v1/agents"))
                .as("requests for the agents list, which this token may not read")
                .isZero();
    }

    private static List<WebElement> cancelButtons() {
        return browser.driver.findElements(By.cssSelector("#cancel, #force-cancel"));
    }

    /** What the run page shows for its agent, or null before it shows the run. */
    private static String agentShown() {
        return browser.driver.findElements(By.xpath("//dt[.='Agent']/following-sibling::dd[1]")).stream()
                .findFirst()
                .map(WebElement::getText)
                .orElse(null);
    }

    /** Requests the page has made since its resource timings were last cleared whose URL ends with {@code path}. */
    private static long requests(String path) {
        return (Long) browser.js(
                "return performance.getEntriesByType('resource')"
                        + ".filter((e) => new URL(e.name).pathname === arguments[0]).length",
                path);
    }

    /** A plan in {@code workspace} claimed by a new agent {@code agentName} of a pool of its own: running until the test ends. */
    private static TaskView claimedTask(String workspace, String pool, String agentName) {
        TaskView task = server.queuePlan(workspace, server.ownPool(pool));
        TestServer.RegisteredAgent agent = server.registerAgentInPool(agentName, pool);
        TaskAssignment claimed = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, false, 0), PullResponse.class)
                .tasks()
                .getFirst();
        assertThat(claimed.taskId()).isEqualTo(task.taskId());
        return server.admin().get(ApiPaths.fill(ApiPaths.TASK, task.taskId()), TaskView.class);
    }

    /** Stays queued: no pool has the label. */
    private static TaskView queuedTask(String workspace) {
        return server.queuePlan(workspace, Map.of("test", "web-ui-permissions"));
    }

    /** Stays queued, as {@link #queuedTask}. */
    private static TaskView queuedPlanApply(String workspace) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource");
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(
                                workspace,
                                TaskAction.PLAN_APPLY,
                                tf,
                                null,
                                null,
                                Map.of("test", "web-ui-permissions"),
                                null,
                                null),
                        TaskView.class);
    }
}
