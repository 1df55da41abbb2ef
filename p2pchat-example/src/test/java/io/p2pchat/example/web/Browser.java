package io.p2pchat.example.web;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.awaitility.core.ConditionTimeoutException;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Headless Chromium driven by Debian's chromedriver, for the browser tests. {@link #require} skips
 * the test with a notice when they are not installed, or fails it when the property {@code
 * p2pchat.browserTests.required} or the environment variable {@code P2PCHAT_BROWSER_TESTS_REQUIRED}
 * is true ({@code .ci/run} sets the variable, so that it runs the README's test command unchanged).
 * Paths: the properties {@code p2pchat.chromium} and {@code p2pchat.chromedriver}, by default
 * Debian's.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM =
            Path.of(System.getProperty("p2pchat.chromium", "/usr/bin/chromium"));
    static final Path DRIVER =
            Path.of(System.getProperty("p2pchat.chromedriver", "/usr/bin/chromedriver"));

    final ChromeDriver driver;
    private final ChromeDriverService service;

    private Browser() {
        service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(DRIVER.toFile())
                        .usingAnyFreePort()
                        .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox", // root in CI containers
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--window-size=1440,900",
                "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        driver = new ChromeDriver(service, options);
    }

    /** Skips (or, if required, fails) the calling test when Chromium or its driver is missing. */
    static void require() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (present) {
            return;
        }
        String notice =
                "browser tests need Debian's chromium and chromium-driver ("
                        + CHROMIUM
                        + ", "
                        + DRIVER
                        + "): apt-get install chromium chromium-driver";
        if (Boolean.getBoolean("p2pchat.browserTests.required")
                || Boolean.parseBoolean(System.getenv("P2PCHAT_BROWSER_TESTS_REQUIRED"))) {
            fail(notice + " (browser tests are required here)");
        }
        System.err.println("NOTICE: browser tests SKIPPED: " + notice);
        assumeTrue(false, "SKIPPED: " + notice);
    }

    /** A browser; {@link #require} first. */
    static Browser open() {
        return new Browser();
    }

    /** Saves a screenshot as {@code target/web-ui/NAME.png} and returns its path. */
    Path screenshot(String name) throws IOException {
        Path dir = Path.of("target", "web-ui");
        Files.createDirectories(dir);
        Path file = dir.resolve(name + ".png");
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    /** Scrolls the element {@code css} selects into view, then {@link #screenshot}s. */
    Path showAndScreenshot(String css, String name) throws IOException {
        driver.executeScript(
                "arguments[0].scrollIntoView({block: 'center'})",
                driver.findElement(By.cssSelector(css)));
        return screenshot(name);
    }

    /** The console messages of the page since the last call (errors, CSP violations). */
    List<String> consoleMessages() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .toList();
    }

    /** The text of the element with id {@code id}. */
    String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    /**
     * Waits, at most {@code max}, for {@code expected} in element {@code id}; on timeout, fails
     * with a screenshot and the page's console.
     */
    void awaitText(String id, String expected, Duration max) throws IOException {
        try {
            await().atMost(max)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> text(id).contains(expected));
        } catch (ConditionTimeoutException e) {
            Path shot = screenshot("failed-" + id);
            throw new AssertionError(
                    "#"
                            + id
                            + " never showed '"
                            + expected
                            + "' but '"
                            + text(id)
                            + "' ("
                            + shot
                            + "); console: "
                            + consoleMessages(),
                    e);
        }
    }

    /** Waits, at most {@code max}, for an element matching {@code css}. */
    void awaitCss(String css, Duration max) throws IOException {
        try {
            await().atMost(max)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !driver.findElements(By.cssSelector(css)).isEmpty());
        } catch (ConditionTimeoutException e) {
            Path shot = screenshot("failed-css");
            throw new AssertionError("no " + css + " on the page (" + shot + ")", e);
        }
    }

    /** Fails if the page opened an alert (a peer's markup ran as code). */
    void assertNoAlert() {
        try {
            driver.switchTo().alert();
            throw new AssertionError("the page opened an alert: a peer's markup ran");
        } catch (NoAlertPresentException expected) {
            // the markup stayed text
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }
}
