package io.iacrunner.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium, driven through Debian's chromedriver by Selenium: nothing is downloaded (both paths are
 * given, so Selenium Manager is never asked). Without them the browser tests are skipped with the reason, except under
 * {@code IAC_REQUIRE_SERVICES=1} (set by {@code .ci/run}, which installs them), where that is a failure.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    final ChromeDriver driver;
    private final URI base;
    private final Path profile;

    private Browser(ChromeDriver driver, URI base, Path profile) {
        this.driver = driver;
        this.base = base;
        this.profile = profile;
    }

    /** A fresh browser profile in {@code dir}, its pages loaded from {@code base}. */
    static Browser start(URI base, Path dir) throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = "the web UI's browser tests need Debian's chromium and chromium-driver (" + CHROMIUM + ", "
                    + CHROMEDRIVER + "): apt-get install -y chromium chromium-driver";
            if ("1".equals(System.getenv("IAC_REQUIRE_SERVICES")))
                throw new AssertionError(why + " (IAC_REQUIRE_SERVICES=1)");
            assumeTrue(false, why);
        }
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // Without the networking flags Chromium keeps calling home, which this closed network answers with nothing.
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1400,1000",
                "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        return new Browser(driver, base, profile);
    }

    void open(String hash) {
        driver.get(base.resolve("/") + hash);
    }

    /** Signs in through the form, as a person does. */
    void signIn(String token) {
        open("#/");
        WebElement field = until(
                "the sign-in form",
                () -> driver.findElements(By.id("token")).stream().findFirst().orElse(null));
        field.sendKeys(token);
        driver.findElement(By.cssSelector("form.sign-in button[type=submit]")).click();
        until("signed in", () -> driver.findElement(By.id("nav")).isDisplayed() ? true : null);
    }

    /** Signs in on a fresh page load, whoever was signed in before and whichever organisation they chose. */
    void signInAfresh(String token) {
        js("sessionStorage.clear()");
        driver.get("about:blank");
        signIn(token);
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Waits up to a minute for {@code probe} to give something other than null or false. */
    <T> T until(String what, Supplier<T> probe) {
        return until(what, Duration.ofSeconds(60), probe);
    }

    <T> T until(String what, Duration atMost, Supplier<T> probe) {
        return Awaitility.await(what)
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions()
                .until(probe::get, v -> v != null && !Boolean.FALSE.equals(v));
    }

    /** Writes a PNG of the page as it is now. */
    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), file, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The text of the element {@code css}, or null while there is none. */
    String text(String css) {
        return driver.findElements(By.cssSelector(css)).stream()
                .findFirst()
                .map(WebElement::getText)
                .orElse(null);
    }

    /** What the run page's log holds: every line received, in order, and the rows in the viewport now. */
    record LogModel(
            int count,
            List<Long> seqs,
            List<String> texts,
            List<Long> visibleSeqs,
            List<String> visibleTexts,
            long connects,
            long gaps,
            long skipped,
            String connection) {}

    @SuppressWarnings("unchecked")
    LogModel log(boolean withTexts) {
        Map<String, Object> m = (Map<String, Object>) js("""
                const view = document.querySelector('.log-viewport');
                if (!view || !view.iacLog) return null;
                const log = view.iacLog, stream = view.iacStream, box = view.getBoundingClientRect();
                const visible = [...view.querySelectorAll('.log-row')].filter((row) => {
                  const r = row.getBoundingClientRect();
                  return r.bottom > box.top && r.top < box.bottom;
                });
                return {count: log.texts.length, seqs: log.seqs, texts: arguments[0] ? log.texts : [],
                  visibleSeqs: visible.map((row) => Number(row.dataset.seq)), visibleTexts: visible.map((row) => row.textContent),
                  connects: stream.connects, gaps: stream.gaps, skipped: stream.skipped,
                  connection: document.querySelector('.connection').dataset.state ?? ''};
                """, withTexts);
        if (m == null) return null;
        return new LogModel(
                ((Number) m.get("count")).intValue(),
                (List<Long>) m.get("seqs"),
                (List<String>) m.get("texts"),
                (List<Long>) m.get("visibleSeqs"),
                (List<String>) m.get("visibleTexts"),
                ((Number) m.get("connects")).longValue(),
                ((Number) m.get("gaps")).longValue(),
                ((Number) m.get("skipped")).longValue(),
                (String) m.get("connection"));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a profile left in the test's temp dir goes with it
            }
        }
    }
}
