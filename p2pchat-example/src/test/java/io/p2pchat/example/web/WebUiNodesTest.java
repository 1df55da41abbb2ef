package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.RunningNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;

/**
 * Two real nodes, each started with {@code --ui}, and their pages in headless Chromium (one tab
 * each): alice's page connects to bob and sends a message; bob's page shows it and the handshake
 * steps; the conversation fingerprints are equal on both pages; a peer's markup stays text; after
 * bob's node restarts, his page shows the history. Screenshots in {@code target/web-ui/}.
 */
@Tag("browser")
class WebUiNodesTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String XSS = "<img src=x onerror=alert(1)>";

    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();
    private Browser browser;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
    }

    private InProcessNode node(String name, Path home, String... args) throws Exception {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "node",
                                "--home",
                                home.toString(),
                                "--passphrase-file",
                                Homes.passphraseFile(dir).toString(),
                                "--ui",
                                "127.0.0.1:0"));
        a.addAll(List.of(args));
        InProcessNode n = InProcessNode.start(name, a.toArray(new String[0]));
        nodes.add(n);
        return n;
    }

    /** The URL the node printed for the person. */
    private static String url(ConsoleDriver n) {
        return n.awaitMatch(
                        0, "web UI: open (http://127\\.0\\.0\\.1:[0-9]+/#token=[A-Za-z0-9_-]{43})")
                .group(1);
    }

    /** alice (genesis) and bob (joined through her), both confirmed, each with a page. */
    private record Pair(InProcessNode alice, String aliceUrl, InProcessNode bob, String bobUrl) {}

    private Pair aliceAndBob(Path aliceHome, Path bobHome) throws Exception {
        InProcessNode alice =
                node(
                        "alice",
                        aliceHome,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        String aliceAddress =
                "127.0.0.1:"
                        + alice.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)").group(1);
        String aliceUrl = url(alice);
        alice.awaitLine("ready:");
        InProcessNode bob = node("bob", bobHome, "--listen", "127.0.0.1:0", "--join", aliceAddress);
        String bobUrl = url(bob);
        bob.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        bob.awaitConnectedAndConfirmed("alice");
        return new Pair(alice, aliceUrl, bob, bobUrl);
    }

    @Test
    void alicesPageChatsWithBobsPage_handshakeFingerprintsMarkupAndRestart() throws Exception {
        Browser.require();
        Path bobHome = Homes.init(dir, "bob");
        Pair pair = aliceAndBob(Homes.init(dir, "alice"), bobHome);
        String aliceUrl = pair.aliceUrl();
        String bobUrl = pair.bobUrl();
        InProcessNode bob = pair.bob();
        assertThat(pair.alice().stderrText()).doesNotContain("#token=");

        browser = Browser.open();
        String aliceTab = browser.driver.getWindowHandle();
        browser.driver.get(aliceUrl);
        awaitText("identity", "alice");
        browser.driver.switchTo().newWindow(WindowType.TAB);
        String bobTab = browser.driver.getWindowHandle();
        browser.driver.get(bobUrl);
        awaitText("identity", "bob");
        awaitText("link", "live");

        // alice connects from her page (they are connected already: bob joined through her) and
        // sends a message; it is delivered.
        browser.driver.switchTo().window(aliceTab);
        type("/connect bob");
        awaitText("chat-title", "bob");
        type("hello bob, from alice's page");
        awaitCss("#messages li.out[data-state=delivered]");
        browser.screenshot("nodes-alice-sent");

        // bob's page shows it live, and the steps of his channel with alice.
        browser.driver.switchTo().window(bobTab);
        awaitText("messages", "hello bob, from alice's page");
        assertThat(text("chat-title")).isEqualTo("alice");
        awaitText("handshake", "Swap public keys");
        awaitText("handshake", "confirmation"); // the certificate once alice is confirmed
        assertThat(text("handshake"))
                .contains("Connect")
                .contains("Authenticate by signature")
                .contains("Agree on the key")
                .contains("confirmation")
                .contains("ML-KEM-768");
        browser.screenshot("nodes-bob-received");

        // The same conversation fingerprint on both pages.
        String bobNumber = fingerprint();
        browser.driver.switchTo().window(aliceTab);
        String aliceNumber = fingerprint();
        assertThat(aliceNumber).isNotBlank().isEqualTo(bobNumber);
        browser.screenshot("nodes-alice-fingerprint");

        // A peer's markup is text on the other page.
        type(XSS);
        browser.driver.switchTo().window(bobTab);
        awaitText("messages", XSS);
        assertThat(browser.driver.findElements(By.cssSelector("#messages img"))).isEmpty();
        List<WebElement> texts = browser.driver.findElements(By.cssSelector("#messages .text"));
        assertThat(texts.get(texts.size() - 1).getText()).isEqualTo(XSS);
        assertNoAlert();
        browser.screenshot("nodes-bob-markup-as-text");

        // bob's node restarts (the stored network and address): his new page shows the history.
        assertThat(bob.quit()).isZero();
        InProcessNode bob2 = node("bob-again", bobHome);
        String bob2Url = url(bob2);
        assertThat(bob2Url).isNotEqualTo(bobUrl);
        bob2.awaitLine("ready:");
        browser.driver.get(bob2Url);
        awaitText("messages", "hello bob, from alice's page");
        awaitText("messages", XSS);
        assertNoAlert();
        browser.screenshot("nodes-bob-after-restart");
        assertThat(browser.consoleMessages())
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("Uncaught"));
    }

    /**
     * alice's page looks bob up in the ledger panel: his record, and his certificate proof
     * recomputed in the page up to the block header's Merkle root; the handshake steps carry their
     * times.
     */
    @Test
    void alicesPage_looksUpBob_verifiesHisProof_andTimesTheHandshake() throws Exception {
        Browser.require();
        Pair pair = aliceAndBob(Homes.init(dir, "alice"), Homes.init(dir, "bob"));
        String aliceUrl = pair.aliceUrl();
        String bobUrl = pair.bobUrl();

        browser = Browser.open();
        browser.driver.get(aliceUrl);
        awaitText("identity", "alice");
        awaitText("link", "live");
        WebElement input = browser.driver.findElement(By.id("lookup"));
        input.sendKeys("bob", Keys.ENTER);
        awaitText("identity-record", "proof verified in this page");
        assertThat(text("identity-record"))
                .contains("Identity record")
                .contains("bob")
                .contains("Certificate proof")
                .contains("The node's own check (signatures, key): verified")
                .doesNotContain("FAILED");
        browser.showAndScreenshot("#identity-record .proof", "nodes-alice-ledger-proof");
        // The page's steps of the channel with bob: each timed (alice accepted it: no dial).
        type("/connect bob");
        awaitText("chat-title", "bob");
        awaitText("handshake", "Agree on the key");
        assertThat(text("handshake")).containsPattern("[0-9.]+ ms");
        browser.showAndScreenshot("#handshake", "nodes-alice-handshake-times");

        // bob dialed alice: his Connect step is timed too.
        browser.driver.get(bobUrl);
        awaitText("identity", "bob");
        type("/connect alice");
        awaitText("chat-title", "alice");
        awaitText("handshake", "Agree on the key");
        assertThat(
                        browser.driver
                                .findElement(By.cssSelector("#handshake li.step .step-time"))
                                .getText())
                .matches("[0-9.]+ ms");
        browser.showAndScreenshot("#handshake", "nodes-bob-handshake-times");
        assertThat(browser.consoleMessages())
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("Uncaught"));
    }

    /** Asks the page for the numbers of its open conversation; returns the conversation's. */
    private String fingerprint() throws Exception {
        for (WebElement b : browser.driver.findElements(By.cssSelector("#fingerprints button"))) {
            if (b.getText().contains("Show numbers")) {
                b.click();
                break;
            }
        }
        awaitCss("#fingerprints dd.fingerprint");
        await().atMost(WAIT)
                .until(
                        () ->
                                browser.driver
                                        .findElement(By.cssSelector("#fingerprints img.qr"))
                                        .isDisplayed());
        return browser.driver.findElement(By.cssSelector("#fingerprints dd.fingerprint")).getText();
    }

    private void type(String line) {
        WebElement input = browser.driver.findElement(By.id("command"));
        input.sendKeys(line, Keys.ENTER);
    }

    private String text(String id) {
        return browser.text(id);
    }

    private void awaitCss(String css) throws Exception {
        browser.awaitCss(css, WAIT);
    }

    private void awaitText(String id, String expected) throws Exception {
        browser.awaitText(id, expected, WAIT);
    }

    private void assertNoAlert() {
        browser.assertNoAlert();
    }
}
