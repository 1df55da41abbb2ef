package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.RunningNodes;
import java.net.InetSocketAddress;
import java.net.URI;
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
        List<String> a = new ArrayList<>(List.of("--ui", "127.0.0.1:0"));
        a.addAll(List.of(args));
        InProcessNode n = InProcessNode.node(name, home, dir, a.toArray(new String[0]));
        nodes.add(n);
        return n;
    }

    /** The URL the node printed for the person. */
    private static String url(ConsoleDriver n) {
        return n.awaitMatch(
                        0, "web UI: open (http://127\\.0\\.0\\.1:[0-9]+/#token=[A-Za-z0-9_-]{43})")
                .group(1);
    }

    private record Two(
            InProcessNode alice, String aliceUrl, InProcessNode bob, String bobUrl, Path bobHome) {}

    /** alice starts a network, bob joins it through her; both with a UI, connected, confirmed. */
    private Two twoNodes() throws Exception {
        Browser.require();
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
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
        return new Two(alice, aliceUrl, bob, bobUrl, bobHome);
    }

    @Test
    void alicesPageChatsWithBobsPage_handshakeFingerprintsMarkupAndRestart() throws Exception {
        Two two = twoNodes();
        InProcessNode alice = two.alice();
        InProcessNode bob = two.bob();
        String aliceUrl = two.aliceUrl();
        String bobUrl = two.bobUrl();
        Path bobHome = two.bobHome();
        assertThat(alice.stderrText()).doesNotContain("#token=");

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
     * The identity actions from bob's page and what alice's page shows of them: a revocation is
     * refused until bob types his name; bob rotates his key from the page, the passphrase asked in
     * a modal (never shown, never in any output); alice, who had verified bob, opens her page only
     * after the change and sees the loud notice, and her page sends nothing to bob until she
     * verifies again. bob's messages count as unread for alice until her page shows them, and stay
     * read after a reload.
     */
    @Test
    void identityActionsPromptsKeyChangeNoticeAndUnread() throws Exception {
        Two two = twoNodes();
        int a0 = two.alice().mark();
        InProcessNode alice = two.alice();
        InProcessNode bob = two.bob();
        alice.send("/msg bob hi bob");
        bob.awaitLine("<alice> hi bob");
        bob.send("/msg alice one");
        bob.send("/msg alice two");
        alice.awaitLine(a0, "<bob> two");
        alice.send("/verify bob");
        alice.awaitLine(a0, "verified bob");

        // bob's page: a revocation is refused until the name is typed.
        browser = Browser.open();
        browser.driver.get(two.bobUrl());
        awaitText("identity", "bob");
        awaitText("identity-actions", "Revoke");
        button("Revoke…").click();
        awaitCss("#prompt[data-kind=confirm-text] input");
        assertThat(text("prompt")).contains("Type bob to revoke it").contains("unusable for good");
        browser.screenshot("nodes-bob-revoke-confirm");
        browser.driver.findElement(By.cssSelector("#prompt input")).sendKeys("alice", Keys.ENTER);
        awaitText("identity-actions", "not revoked: the name typed did not match");
        assertThat(browser.driver.findElements(By.id("prompt"))).isEmpty();
        browser.screenshot("nodes-bob-revoke-refused");

        // bob rotates his key from the page: the passphrase in a password field.
        browser.driver
                .findElement(By.cssSelector("#identity-actions select option[value='2048']"))
                .click();
        int b0 = bob.mark();
        button("Rotate key").click();
        awaitCss("#prompt[data-kind=passphrase] input[type=password]");
        assertThat(text("prompt")).contains("Passphrase of this identity");
        WebElement field = browser.driver.findElement(By.cssSelector("#prompt input"));
        field.sendKeys(Homes.PASSPHRASE);
        browser.screenshot("nodes-bob-rotate-passphrase");
        field.sendKeys(Keys.ENTER);
        assertThat(browser.driver.findElements(By.id("prompt"))).isEmpty();
        awaitText("identity-actions", "key rotated");
        bob.awaitLine(b0, "key rotated");
        browser.screenshot("nodes-bob-rotated");
        assertThat(browser.driver.findElement(By.tagName("body")).getText())
                .doesNotContain(Homes.PASSPHRASE);
        assertThat(bob.transcript()).doesNotContain(Homes.PASSPHRASE);

        // alice had verified bob: her node holds what she sends him.
        alice.awaitLine(a0, "NOTHING MORE IS SENT to bob");
        assertThat(unread(two.aliceUrl(), "bob")).isEqualTo(2);

        // Her page, opened after the change, shows it loudly and sends nothing to bob.
        browser.driver.get(two.aliceUrl());
        awaitText("held", "KEY CHANGED: bob");
        awaitText("messages", "two");
        await().atMost(WAIT).until(() -> unread(two.aliceUrl(), "bob") == 0);
        browser.driver.navigate().refresh();
        awaitText("held", "KEY CHANGED: bob");
        assertThat(browser.driver.findElements(By.cssSelector("#conversations .unread"))).isEmpty();
        type("are you still you?");
        awaitText("reply", "Not sent: bob's key changed after you verified bob");
        browser.screenshot("nodes-alice-key-changed");
        assertThat(alice.transcript()).doesNotContain("are you still you?");
        button("Mark as verified").click();
        await().atMost(WAIT).until(() -> !browser.driver.findElement(By.id("held")).isDisplayed());
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
        Two pair = twoNodes();
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

    /** The unread count of the conversation with {@code peer} in the node's snapshot. */
    private static int unread(String url, String peer) throws Exception {
        URI u = URI.create(url);
        RawHttp.Response r =
                RawHttp.get(
                        new InetSocketAddress("127.0.0.1", u.getPort()),
                        "/api/snapshot",
                        "Host: 127.0.0.1:" + u.getPort(),
                        "Authorization: Bearer " + u.getFragment().substring("token=".length()));
        assertThat(r.status()).isEqualTo(200);
        for (JsonElement c :
                JsonParser.parseString(r.text())
                        .getAsJsonObject()
                        .getAsJsonArray("conversations")) {
            if (c.getAsJsonObject().get("peer").getAsString().equals(peer)) {
                return c.getAsJsonObject().get("unread").getAsInt();
            }
        }
        throw new AssertionError("no conversation with " + peer + ": " + r.text());
    }

    private WebElement button(String label) {
        return browser.driver.findElements(By.tagName("button")).stream()
                .filter(b -> b.getText().equals(label) && b.isDisplayed())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no button " + label));
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
