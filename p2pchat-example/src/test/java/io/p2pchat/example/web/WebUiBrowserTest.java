package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The page in headless Chromium against a server with the test backend: it loads with the token,
 * shows the state and live events, keeps a peer's markup as text, and sends typed commands.
 * Screenshots go to {@code target/web-ui/}.
 */
@Tag("browser")
class WebUiBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String XSS = "<img src=x onerror=alert(1)>";

    private final TestBackend backend = new TestBackend();
    private WebUiServer server;
    private Browser browser;

    @BeforeEach
    void start() throws Exception {
        Browser.require();
        backend.snapshot(UiEvent.parse(Fixtures.SNAPSHOT));
        server = WebUiServer.builder(backend).build().start();
        browser = Browser.open();
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /**
     * alice's page: the snapshot, a live message with markup shown as text, a typed message and
     * command reaching the node, the handshake steps and fingerprints.
     */
    @Test
    void showsEventsKeepsMarkupAsTextAndSendsCommands() throws Exception {
        browser.driver.get(server.url());
        awaitText("messages", "hi alice, it's bob");
        assertThat(browser.driver.getCurrentUrl()).doesNotContain("token");
        assertThat(text("identity")).contains("alice");
        assertThat(text("conversations")).contains("bob").contains("carol");
        assertThat(text("peers")).contains("bob").contains("127.0.0.1:7001");

        for (String e : Fixtures.HANDSHAKE) {
            backend.publish(UiEvent.parse(e));
        }
        backend.publish(UiEvent.parse(Fixtures.FINGERPRINT));
        backend.publish(UiEvent.parse(Fixtures.message("bob", XSS)));
        awaitText("messages", XSS);
        assertThat(browser.driver.findElements(By.cssSelector("#messages img"))).isEmpty();
        List<WebElement> texts = browser.driver.findElements(By.cssSelector("#messages .text"));
        assertThat(texts.get(texts.size() - 1).getText()).isEqualTo(XSS);
        assertNoAlert();

        WebElement input = browser.driver.findElement(By.id("command"));
        input.sendKeys("see you at five", Keys.ENTER);
        assertThat(backend.commands.poll(20, TimeUnit.SECONDS))
                .isEqualTo("/msg bob see you at five");
        backend.publish(UiEvent.parse(Fixtures.sent("bob", "see you at five", "m9")));
        backend.publish(UiEvent.parse(Fixtures.delivered("bob", "m9")));
        input.sendKeys("/peers", Keys.ENTER);
        assertThat(backend.commands.poll(20, TimeUnit.SECONDS)).isEqualTo("/peers");
        awaitText("messages", "see you at five");
        await().atMost(WAIT)
                .until(
                        () ->
                                !browser.driver
                                        .findElements(
                                                By.cssSelector(
                                                        "#messages li[data-state=delivered]"))
                                        .isEmpty());
        awaitText("handshake", "Authenticate by signature");
        awaitText("fingerprints", "31415");
        await().atMost(WAIT)
                .until(
                        () ->
                                browser.driver
                                        .findElement(By.cssSelector("#fingerprints img.qr"))
                                        .isDisplayed());
        assertNoAlert();
        Path shot = browser.screenshot("chat");
        assertThat(shot).exists();
        assertThat(browser.consoleMessages())
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("Uncaught"));
    }

    /**
     * The ledger panel looks an identity up with the console's {@code /whois} and checks its
     * certificate proof itself: a real proof verifies; the same answer with one byte of the
     * transaction flipped fails loudly, although the answer claims it verified.
     */
    @Test
    void ledgerPanel_verifiesTheCertificateProof_andFailsLoudlyOnAFlippedByte() throws Exception {
        backend.answers(
                line ->
                        switch (line) {
                            case "/whois carol" ->
                                    List.of(UiEvent.parse(Fixtures.whois("carol", false)));
                            case "/whois mallory" -> {
                                // The node claims it verified; the page must not believe it.
                                String tampered =
                                        Fixtures.whois("mallory", true)
                                                .replace("\"verified\":false", "\"verified\":true");
                                yield List.of(UiEvent.parse(tampered));
                            }
                            case "/whois mallory-path" ->
                                    List.of(
                                            UiEvent.parse(
                                                    Fixtures.whoisTampered("mallory", "path")));
                            case "/whois mallory-index" ->
                                    List.of(
                                            UiEvent.parse(
                                                    Fixtures.whoisTampered("mallory", "index")));
                            case "/whois mallory-header" ->
                                    List.of(
                                            UiEvent.parse(
                                                    Fixtures.whoisTampered("mallory", "header")));
                            default -> List.of();
                        });
        browser.driver.get(server.url());
        awaitText("identity", "alice");
        lookUp("carol");
        assertThat(backend.commands.poll(20, TimeUnit.SECONDS)).isEqualTo("/whois carol");
        awaitText("identity-record", "proof verified in this page");
        assertThat(text("identity-record"))
                .contains("Identity record")
                .contains("4 of 5 in block #7")
                .doesNotContain("FAILED");
        assertThat(browser.driver.findElements(By.cssSelector("#identity-record .audit-path li")))
                .hasSize(3);
        browser.showAndScreenshot("#identity-record .proof", "ledger-proof-verified");

        lookUp("mallory");
        awaitText("identity-record", "PROOF FAILED");
        assertThat(text("identity-record"))
                .contains("inclusion")
                .doesNotContain("proof verified in this page");
        assertThat(
                        browser.driver
                                .findElement(By.cssSelector("#identity-record .proof"))
                                .getAttribute("data-state"))
                .isEqualTo("failed");
        browser.showAndScreenshot("#identity-record .proof", "ledger-proof-tampered");
        // A flipped byte in the audit path, another position, a header that is not the block's.
        for (String[] lie :
                new String[][] {
                    {"mallory-path", "inclusion"},
                    {"mallory-index", "inclusion"},
                    {"mallory-header", "block hash"}
                }) {
            lookUp(lie[0]);
            await().atMost(WAIT)
                    .until(
                            () ->
                                    text("identity-record").contains("PROOF FAILED")
                                            && text("identity-record").contains(lie[1] + ":"));
        }
        assertThat(browser.consoleMessages())
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("Uncaught"));
    }

    private void lookUp(String who) {
        WebElement input = browser.driver.findElement(By.id("lookup"));
        input.clear();
        input.sendKeys(who, Keys.ENTER);
    }

    /** Without the token the page says what to open and the node sends it nothing. */
    @Test
    void withoutTheTokenThePageExplainsAndGetsNothing() throws Exception {
        browser.driver.get(server.origin() + "/");
        awaitText("messages", "#token=");
        assertThat(backend.subscribers()).isZero();
        browser.driver.get(server.origin() + "/#token=" + "A".repeat(43));
        awaitText("reply", "refused this page");
        assertThat(backend.subscribers()).isZero();
        browser.screenshot("no-token");
    }

    private String text(String id) {
        return browser.text(id);
    }

    private void awaitText(String id, String expected) throws Exception {
        browser.awaitText(id, expected, WAIT);
    }

    private void assertNoAlert() {
        browser.assertNoAlert();
    }
}
