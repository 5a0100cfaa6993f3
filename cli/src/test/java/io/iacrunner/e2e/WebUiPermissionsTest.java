package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Role;
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
 * workspace lists only that workspace and gets no cancel button (and the server refuses the rest anyway).
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

        browser.signIn(server.adminToken());
        browser.open("#/runs/" + visible.taskId());
        browser.until("the admin's cancel button (so its absence below is not a broken page)", () -> cancelButtons().size() == 1 ? true : null);
        assertThat(browser.driver.findElement(By.cssSelector("[data-nav=agents]")).isDisplayed()).isTrue();
        browser.driver.findElement(By.id("sign-out")).click();

        String token = server.userToken(Role.READ, "perm-visible");
        WhoAmI who = server.withToken(token).get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(who.kind()).isEqualTo("user");
        assertThat(who.workspaces()).containsExactly(Map.entry("perm-visible", Role.READ));
        browser.signIn(token);
        browser.open("#/");
        browser.until("the workspace it may read", () -> browser.driver.findElements(By.linkText("perm-visible")).stream().findFirst().orElse(null));
        assertThat(browser.driver.findElements(By.cssSelector("tbody tr"))).as("workspaces listed").hasSize(1);
        assertThat(browser.driver.findElements(By.linkText("perm-hidden"))).isEmpty();

        browser.open("#/runs/" + visible.taskId());
        browser.until("the run shown", () -> browser.driver.getTitle().contains("(queued)") ? true : null);
        assertThat(cancelButtons()).as("cancel buttons for a read token").isEmpty();
        assertThat(browser.driver.findElement(By.cssSelector("[data-nav=agents]")).isDisplayed())
                .as("the agents page, which only a global admin may see, is not offered").isFalse();
    }

    private static List<WebElement> cancelButtons() {
        return browser.driver.findElements(By.cssSelector("#cancel, #force-cancel"));
    }

    /** Stays queued: no pool has the label. */
    private static TaskView queuedTask(String workspace) {
        return server.queuePlan(workspace, Map.of("test", "web-ui-permissions"));
    }
}
