package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.UserError;
import io.p2pchat.example.web.WebUi;
import io.p2pchat.example.web.WebUiServer;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code p2pchat node --ui}: the address it accepts, the URL it prints, and what it serves. */
class WebUiOptionTest {
    @TempDir Path dir;

    /** Loopback by default; another address only with the explicit flag; never a wildcard. */
    @Test
    void address_loopbackByDefault_remoteOnlyWithTheFlag() {
        assertThat(WebUi.Address.parse("8080", false))
                .isEqualTo(new WebUi.Address("127.0.0.1", 8080, false));
        assertThat(WebUi.Address.parse("localhost:0", false).host()).isEqualTo("127.0.0.1");
        assertThat(WebUi.Address.parse("[::1]:9000", false).host()).isEqualTo("::1");
        assertThatThrownBy(() -> WebUi.Address.parse("192.168.1.10:8080", false))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("--ui-allow-remote")
                .hasMessageContaining("ssh -L");
        assertThat(WebUi.Address.parse("192.168.1.10:8080", true).allowRemote()).isTrue();
        assertThatThrownBy(() -> WebUi.Address.parse("0.0.0.0:8080", true))
                .hasMessageContaining("wildcard");
        assertThatThrownBy(() -> WebUi.Address.parse("example.com:8080", true))
                .hasMessageContaining("IP address");
        assertThatThrownBy(() -> WebUi.Address.parse("70000", false))
                .hasMessageContaining("[HOST:]PORT");
    }

    /** A non-loopback --ui without the flag is a usage error before anything starts. */
    @Test
    void remoteHostWithoutTheFlag_isRefused() throws Exception {
        Path home = Homes.init(dir, "alice");
        InProcessNode n =
                InProcessNode.run(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--genesis",
                        "--ui",
                        "10.1.2.3:8080");
        assertThat(n.awaitExit()).isEqualTo(ExitCode.USAGE.code());
        assertThat(n.stderr()).contains("--ui-allow-remote");
    }

    /**
     * Under --json the URL is one {@code ui} event; the page answers at that origin, and the API
     * refuses a request without the token.
     */
    @Test
    void json_printsTheUrlAsOneEvent_andTheServerAnswers() throws Exception {
        Path home = Homes.init(dir, "alice");
        InProcessNode n =
                InProcessNode.start(
                        "alice",
                        "node",
                        "--home",
                        home.toString(),
                        "--passphrase-file",
                        Homes.passphraseFile(dir).toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial",
                        "--json",
                        "--ui",
                        "0");
        try {
            JsonObject ui = n.awaitJson(0, "ui", o -> true);
            String url = ui.get("url").getAsString();
            assertThat(url).matches("http://127\\.0\\.0\\.1:[0-9]+/#token=[A-Za-z0-9_-]{43}");
            assertThat(ui.keySet()).containsExactlyInAnyOrder("event", "url");
            String origin = url.substring(0, url.indexOf("/#"));
            assertThat(status(origin + "/")).isEqualTo(200);
            assertThat(status(origin + "/api/snapshot")).isEqualTo(401);
            n.awaitJson(0, "ready", o -> true);
            assertThat(n.stderr()).doesNotContain("token=");
            assertThat(WebUiServer.NON_LOOPBACK_WARNING).contains("non-loopback");
        } finally {
            n.close();
        }
    }

    private static int status(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }
}
