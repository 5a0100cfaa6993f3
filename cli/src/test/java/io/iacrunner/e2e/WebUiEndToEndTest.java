package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.CuttingProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The web UI in Debian's headless Chromium against the whole system: a real server, a real agent running real
 * Terraform, and the browser reaching the server through a {@link CuttingProxy}, so a test can drop every connection
 * (the log's WebSocket included) the way a network does. Writes the screenshots of the main pages to {@code
 * docs/screenshots/}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WebUiEndToEndTest {
    /** The longest a task here may take from queued to finished (init and plan included). */
    private static final Duration RUN = Duration.ofSeconds(120);

    @TempDir
    static Path dir;

    static E2eHarness system;
    static CuttingProxy proxy;
    static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
        system.startAgent("web-ui", c -> c.cancelGrace(Duration.ofSeconds(10)));
        proxy = new CuttingProxy(system.server.baseUrl().getPort());
        browser = Browser.start(proxy.url(), dir);
        browser.signIn(system.server.adminToken());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) browser.close();
            if (proxy != null) proxy.close();
        } finally {
            system.close();
        }
    }

    @Test
    void aRunningTasksLogAppearsLiveInOrderAndResumesAfterACutWithoutAMissingOrDoubledLine() throws Exception {
        Path gate = system.shared().resolve("gate-live");
        String id = system.createTask(
                "web-ui-live",
                "plan_apply",
                E2eHarness.localExecConfig(
                        UUID.randomUUID().toString(), printing(1, 2000) + waitFor(gate) + printing(2001, 3000)));

        try {
            browser.open("#/");
            browser.until(
                    "the workspace listed",
                    () -> browser.driver.findElements(By.linkText("web-ui-live")).stream()
                            .findFirst()
                            .orElse(null));
            browser.until("its run listed as running", () -> text("tbody").contains("running") ? true : null);
            browser.screenshot(screenshots().resolve("workspaces.png"));
            browser.driver.findElement(By.linkText("web-ui-live")).click();
            browser.until(
                    "the workspace's runs",
                    () -> browser.driver.findElements(By.linkText(id)).stream()
                            .findFirst()
                            .orElse(null));
            assertThat(browser.driver.getTitle()).isEqualTo("web-ui-live: runs · iac-runner");
            assertThat(text("tbody")).as("who queued the run").contains("admin.token in the data dir (tok-");
            browser.screenshot(screenshots().resolve("runs.png"));
            browser.driver.findElement(By.linkText(id)).click();

            Browser.LogModel early = browser.until("the first 200 lines in the page", () -> atLeast(200));
            assertThat(browser.driver.getTitle()).isEqualTo("Run " + id + " (running) · web-ui-live · iac-runner");
            assertContiguous(early.seqs(), "the lines received so far");
            assertVisibleRowsAreTheModels(early);
            Browser.LogModel later =
                    browser.until("more lines arriving while it runs", () -> atLeast(early.count() + 100));
            assertContiguous(later.seqs(), "the lines received so far");

            int cut = proxy.cutAll();
            int atCut = browser.log(false).count();
            System.out.println("WebUiEndToEndTest: cut " + cut + " connections with " + atCut + " lines in the page");
            browser.until("the log reconnected", () -> browser.log(false).connects() >= 2 ? true : null);
            Browser.LogModel beforeGate = browser.until("every line before the gate", RUN, () -> {
                Browser.LogModel m = browser.log(true);
                return m.texts().stream().anyMatch(t -> t.contains("line 2000")) ? m : null;
            });
            assertThat(beforeGate.count()).isGreaterThan(atCut);
            browser.screenshot(screenshots().resolve("run.png"));
            Files.createFile(gate);

            browser.until(
                    "the run succeeded",
                    RUN,
                    () -> "ended".equals(browser.log(false).connection())
                                    && browser.driver.getTitle().contains("(succeeded)")
                            ? true
                            : null);
            Browser.LogModel done = browser.log(true);
            TaskView task = system.server.admin().get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
            assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(task.logComplete()).isTrue();
            assertContiguous(done.seqs(), "every line the page received");
            assertThat(done.count())
                    .as("lines in the page vs the task's log_lines")
                    .isEqualTo(task.logLines());
            assertThat(done.texts()).as("the page's lines are the stored log").isEqualTo(storedLines(id));
            assertThat(done.skipped()).as("lines the page got twice").isZero();
            E2eHarness.assertProvisionerPrinted(
                    done.texts(), 3000, "", "the provisioner's lines, as the page got them");
            Browser.LogModel tail = browser.until("the last line visible", () -> {
                Browser.LogModel m = browser.log(false);
                return !m.visibleSeqs().isEmpty() && m.visibleSeqs().getLast() == m.count() - 1 ? m : null;
            });
            assertVisibleRowsAreTheModels(browser.log(true));
            System.out.println(
                    "WebUiEndToEndTest: " + done.count() + " lines over " + tail.connects() + " connections, "
                            + done.gaps() + " gap reconnects, " + done.skipped() + " lines skipped as already had");
        } finally {
            if (!Files.exists(gate)) Files.createFile(gate); // a failed test must not keep the agent busy
        }

        browser.open("#/workspaces/web-ui-live/state");
        browser.until(
                "state version 1", () -> text("tbody") != null && text("tbody").contains("1 (current)") ? true : null);
        browser.screenshot(screenshots().resolve("state-versions.png"));
    }

    @Test
    void cancelingARunningTaskFromItsPageEndsItCanceled() throws Exception {
        String marker = UUID.randomUUID().toString();
        String id = system.createTask(
                "web-ui-cancel",
                "plan_apply",
                E2eHarness.localExecConfig(marker, "echo started-" + marker + "; sleep 300; echo finished-" + marker));
        browser.open("#/runs/" + id);
        browser.until(
                "the sleep started",
                RUN,
                () -> browser.log(true).texts().stream().anyMatch(t -> t.contains("started-" + marker)) ? true : null);
        browser.open("#/agents");
        browser.until(
                "the agent busy with it",
                () -> browser.driver.findElements(By.linkText(id)).stream()
                        .findFirst()
                        .orElse(null));
        assertThat(browser.driver.findElements(By.cssSelector(".isolation-sandbox")))
                .as("the agent's sandbox is shown")
                .isNotEmpty();
        assertThat(browser.driver.findElements(By.cssSelector("p.warning")))
                .as("no agent runs without a sandbox")
                .isEmpty();
        browser.screenshot(screenshots().resolve("agents.png"));
        browser.open("#/runs/" + id);

        browser.until(
                        "the cancel button",
                        () -> browser.driver.findElements(By.id("cancel")).stream()
                                .findFirst()
                                .orElse(null))
                .click();
        browser.driver.switchTo().alert().accept();

        browser.until(
                "the run ended canceled", RUN, () -> browser.driver.getTitle().contains("(canceled)") ? true : null);
        assertThat(text("h1 .badge")).isEqualTo("canceled");
        assertThat(browser.driver.findElements(By.id("cancel")))
                .as("no cancel button on an ended run")
                .isEmpty();
        assertThat(system.server
                        .admin()
                        .get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class)
                        .status())
                .isEqualTo(TaskStatus.CANCELED);
    }

    // ---------------------------------------------------------------------------------------------------------------

    static Path screenshots() {
        return Path.of(System.getProperty("iac.repoRoot", ".")).resolve("docs").resolve("screenshots");
    }

    private static String text(String css) {
        return browser.text(css);
    }

    /** The page's log once it holds {@code lines} lines and has drawn rows (drawing waits for the next frame). */
    private static Browser.LogModel atLeast(int lines) {
        Browser.LogModel m = browser.log(true);
        return m != null && m.count() >= lines && !m.visibleSeqs().isEmpty() ? m : null;
    }

    /** echo "line N" for N in from..to, 50 at a time with 0.1 s in between. */
    static String printing(int from, int to) {
        return "i=" + from + "; while [ $i -le " + to
                + " ]; do echo \"line $i\"; if [ $((i % 50)) -eq 0 ]; then sleep 0.1; fi;" + " i=$((i+1)); done\n";
    }

    /** Shell that waits until {@code gate} exists (at most 120 s, so a failed test cannot block the agent for ever). */
    static String waitFor(Path gate) {
        return "n=0; while [ ! -e '" + gate.toAbsolutePath()
                + "' ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done\n";
    }

    /** Seqs 0, 1, 2, … with none missing, doubled or out of order. */
    static void assertContiguous(List<Long> seqs, String what) {
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != i) {
                throw new AssertionError(what + ": at index " + i + " expected seq " + i + " but got " + seqs.get(i)
                        + " (around it: " + seqs.subList(Math.max(0, i - 3), Math.min(seqs.size(), i + 3)) + ")");
            }
        }
    }

    /** The rows on screen are consecutive lines of the model, each showing that line's text (colours aside). */
    static void assertVisibleRowsAreTheModels(Browser.LogModel m) {
        assertThat(m.visibleSeqs()).as("rows in the viewport").isNotEmpty();
        for (int i = 0; i < m.visibleSeqs().size(); i++) {
            long seq = m.visibleSeqs().get(i);
            assertThat(seq)
                    .as("row %d of the viewport", i)
                    .isEqualTo(m.visibleSeqs().getFirst() + i);
            if (!m.texts().isEmpty()) {
                assertThat(m.visibleTexts().get(i))
                        .as("row of seq %d", seq)
                        .isEqualTo(E2eHarness.plain(m.texts().get((int) seq)));
            }
        }
    }

    private static List<String> storedLines(String id) {
        String text = system.logText(id);
        return text.isEmpty()
                ? List.of()
                : Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
    }
}
