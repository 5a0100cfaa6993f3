package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TeamView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
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
import org.openqa.selenium.support.ui.Select;

/**
 * Organisations in the browser: the switcher shows the pages of the organisation chosen, owners (and only they) get
 * its teams page, and a team's role on every workspace of the organisation offers what it allows (a cancel button).
 */
class WebUiOrgsTest {
    static final String ORG = "ui-acme";
    static final Map<String, String> PARKED = Map.of("park", "ui-acme");

    @TempDir
    static Path dir;

    static ServerAndBrowser ui;
    static TestServer server;
    static Browser browser;
    static String ownerToken;
    static String aliceToken;
    static TaskView parkedPlan;

    @BeforeAll
    static void start() throws IOException {
        ui = ServerAndBrowser.start(dir);
        server = ui.server();
        browser = ui.browser();
        String q = "?org=" + ORG;
        server.admin().post(ApiPaths.ORGS, new OrgSettings(ORG, null, null, null), OrgView.class);
        ownerToken = server.admin()
                .post(
                        ApiPaths.TOKENS + q,
                        new CreateTokenRequest("owner of " + ORG, null, null, null, null, true, null),
                        TokenCreated.class)
                .token();
        ApiClient owner = server.withToken(ownerToken);
        owner.post(ApiPaths.fill(ApiPaths.ORG_USERS, ORG), new NameRequest("alice"), NameRequest.class);
        owner.post(ApiPaths.fill(ApiPaths.ORG_TEAMS, ORG), new NameRequest("devs"), NameRequest.class);
        owner.post(ApiPaths.fill(ApiPaths.ORG_TEAM_MEMBERS, ORG, "devs"), new NameRequest("alice"), NameRequest.class);
        owner.post(
                ApiPaths.fill(ApiPaths.ORG_TEAM_GRANTS, ORG, "devs"),
                new TeamView.Grant(null, Role.PLAN),
                TeamView.Grant.class);
        owner.put(ApiPaths.fill(ApiPaths.WORKSPACE, "app") + q, new WorkspaceSettings(null), WorkspaceView.class);
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "ui-default-only"),
                        new WorkspaceSettings(null),
                        WorkspaceView.class);
        // A pool no agent registers into: the plan stays queued, so its page offers a cancel button to who may.
        owner.put(
                ApiPaths.fill(ApiPaths.POOL, "parked") + q,
                new PoolConfig("parked", 1, false, PARKED),
                PoolConfig.class);
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        parkedPlan = owner.post(
                ApiPaths.TASKS + q,
                new CreateTaskRequest("app", TaskAction.PLAN, tf, null, null, PARKED, null, null),
                TaskView.class);
        aliceToken = owner.post(
                        ApiPaths.TOKENS + q,
                        new CreateTokenRequest("alice", null, null, null, null, null, "alice"),
                        TokenCreated.class)
                .token();
    }

    @AfterAll
    static void stop() {
        if (ui != null) ui.close();
    }

    @Test
    void theSiteAdminSwitchesOrganisationAndSeesThatOnesWorkspacesAndTeams() {
        browser.signInAfresh(server.adminToken());
        WebElement switcher = browser.until("the organisation switcher", () -> shown(By.id("org-switch")));
        Select orgs = new Select(switcher.findElement(By.id("org")));
        assertThat(orgs.getOptions()).extracting(WebElement::getText).contains("default", ORG);
        browser.until("default's workspaces", () -> shown(By.linkText("ui-default-only")));

        orgs.selectByVisibleText(ORG);
        browser.until(ORG + "'s workspaces", () -> shown(By.linkText(ORG + "/app")));
        assertThat(browser.driver.findElements(By.linkText("ui-default-only")))
                .as("default's workspace, under " + ORG)
                .isEmpty();

        assertTeamsPageShowsDevs();
    }

    @Test
    void anOwnerGetsTheTeamsPageAndAMemberOnlyWhatItsTeamsRoleAllows() {
        browser.signInAfresh(aliceToken);
        browser.open("#/runs/" + parkedPlan.taskId());
        browser.until("alice's cancel button, from devs' plan role on every workspace", () -> shown(By.id("cancel")));
        assertThat(browser.driver.findElement(By.id("org-switch")).isDisplayed())
                .as("a switcher with one organisation to choose")
                .isFalse();
        assertThat(browser.driver
                        .findElement(By.cssSelector("[data-nav=teams]"))
                        .isDisplayed())
                .as("the teams page for a member who does not own the organisation")
                .isFalse();

        browser.signInAfresh(ownerToken);
        browser.until("the owner's teams link", () -> shown(By.cssSelector("[data-nav=teams]")));
        assertTeamsPageShowsDevs();
    }

    private static void assertTeamsPageShowsDevs() {
        browser.driver.findElement(By.cssSelector("[data-nav=teams]")).click();
        browser.until("the teams of " + ORG, () -> browser.driver.getTitle().contains("Teams of " + ORG) ? true : null);
        WebElement devs = browser.until(
                "the devs row",
                () -> browser.driver.findElements(By.xpath("//tr[td[1]='devs']")).stream()
                        .findFirst()
                        .orElse(null));
        List<String> cells = devs.findElements(By.tagName("td")).stream()
                .map(WebElement::getText)
                .toList();
        assertThat(cells).containsExactly("devs", "alice", "plan on every workspace");
    }

    private static WebElement shown(By by) {
        return browser.driver.findElements(by).stream()
                .filter(WebElement::isDisplayed)
                .findFirst()
                .orElse(null);
    }
}
