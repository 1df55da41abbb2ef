package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The web UI server over real loopback sockets: its checks, headers and bounds. */
class WebUiServerTest {
    private final TestBackend backend = new TestBackend();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private WebUiServer server;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private WebUiServer start(WebUiServer.Builder b) throws IOException {
        server = b.build().start();
        return server;
    }

    private WebUiServer start() throws IOException {
        return start(WebUiServer.builder(backend));
    }

    private InetSocketAddress at() {
        return server.address();
    }

    private String hostHeader() {
        return "Host: 127.0.0.1:" + at().getPort();
    }

    private String originHeader() {
        return "Origin: http://127.0.0.1:" + at().getPort();
    }

    private String token() {
        String url = server.url();
        return url.substring(url.indexOf("#token=") + "#token=".length());
    }

    /** A token of the right form that is not the server's. */
    private String wrongToken() {
        String t = token();
        return (t.charAt(0) == 'A' ? "B" : "A") + t.substring(1);
    }

    /** The server listens on 127.0.0.1 unless told otherwise, and prints a URL with a token. */
    @Test
    void bindsLoopbackByDefaultAndGivesTheTokenInTheFragment() throws IOException {
        start();
        assertThat(at().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(server.url())
                .matches("http://127\\.0\\.0\\.1:" + at().getPort() + "/#token=[A-Za-z0-9_-]{43}");
        assertThat(server.origin()).isEqualTo("http://127.0.0.1:" + at().getPort());
    }

    /** Each start has its own token. */
    @Test
    void eachServerHasItsOwnToken() throws IOException {
        start();
        try (WebUiServer other = WebUiServer.builder(backend).build().start()) {
            String a = server.url().substring(server.url().indexOf('#'));
            String b = other.url().substring(other.url().indexOf('#'));
            assertThat(a).isNotEqualTo(b);
        }
    }

    /** A non-loopback host needs the explicit flag; a wildcard or a name is refused. */
    @Test
    void refusesANonLoopbackHostWithoutTheFlag() {
        assertThatThrownBy(() -> WebUiServer.builder(backend).host("192.0.2.10").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("allowNonLoopback")
                .hasMessageContaining("SSH tunnel");
        assertThat(WebUiServer.builder(backend).host("192.0.2.10").allowNonLoopback(true).build())
                .isNotNull();
        assertThatThrownBy(
                        () ->
                                WebUiServer.builder(backend)
                                        .host("0.0.0.0")
                                        .allowNonLoopback(true)
                                        .build())
                .hasMessageContaining("wildcard");
        assertThatThrownBy(() -> WebUiServer.builder(backend).host("example.org").build())
                .hasMessageContaining("must be an IP address");
        assertThat(WebUiServer.builder(backend).host("::1").build()).isNotNull();
    }

    /** The page's files are public, with their content types; everything else needs the token. */
    @Test
    void servesThePageFilesWithoutTheTokenAndNothingElse() throws IOException {
        start();
        RawHttp.Response index = RawHttp.get(at(), "/", hostHeader());
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.header("content-type")).isEqualTo("text/html; charset=utf-8");
        assertThat(index.text()).contains("<script type=\"module\" src=\"/app.js\">");
        assertThat(RawHttp.get(at(), "/app.js", hostHeader()).header("content-type"))
                .isEqualTo("text/javascript; charset=utf-8");
        assertThat(RawHttp.get(at(), "/style.css", hostHeader()).header("content-type"))
                .isEqualTo("text/css; charset=utf-8");
        RawHttp.Response unknown = RawHttp.get(at(), "/../pom.xml", hostHeader());
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(RawHttp.get(at(), "/nope.js", hostHeader(), bearer(token())).status())
                .isEqualTo(404);
    }

    /** The API answers 401 with nothing in it without the token, or with a wrong one. */
    @Test
    void apiNeedsTheToken() throws IOException {
        start();
        backend.snapshot(UiEvent.of("snapshot", Map.of("identity", Map.of("name", "alice"))));
        RawHttp.Response none = RawHttp.get(at(), "/api/snapshot", hostHeader());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body()).isEmpty();
        assertThat(none.header("www-authenticate")).isNull();
        RawHttp.Response wrong =
                RawHttp.get(at(), "/api/snapshot", hostHeader(), bearer(wrongToken()));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).isEmpty();
        assertThat(
                        RawHttp.get(
                                        at(),
                                        "/api/snapshot",
                                        hostHeader(),
                                        "Authorization: " + token())
                                .status())
                .isEqualTo(401);
        RawHttp.Response right = RawHttp.get(at(), "/api/snapshot", hostHeader(), bearer(token()));
        assertThat(right.status()).isEqualTo(200);
        assertThat(right.header("content-type")).isEqualTo("application/json; charset=utf-8");
        assertThat(right.text())
                .isEqualTo("{\"event\":\"snapshot\",\"identity\":{\"name\":\"alice\"}}");
    }

    /** A Host other than the address served (DNS rebinding) gets 403, even for the page. */
    @Test
    void wrongHostIsForbidden() throws IOException {
        start();
        int port = at().getPort();
        for (String host :
                List.of(
                        "Host: rebind.example:" + port,
                        "Host: localhost:" + port,
                        "Host: 127.0.0.1")) {
            RawHttp.Response r = RawHttp.get(at(), "/api/snapshot", host, bearer(token()));
            assertThat(r.status()).as(host).isEqualTo(403);
            assertThat(r.body()).isEmpty();
            assertThat(RawHttp.get(at(), "/", host).status()).as(host).isEqualTo(403);
        }
        assertThat(RawHttp.get(at(), "/").status()).isEqualTo(403); // no Host at all
    }

    /** Another site's Origin is refused on any request. */
    @Test
    void foreignOriginIsForbidden() throws IOException {
        start();
        RawHttp.Response r =
                RawHttp.get(
                        at(),
                        "/api/snapshot",
                        hostHeader(),
                        bearer(token()),
                        "Origin: http://evil.example");
        assertThat(r.status()).isEqualTo(403);
    }

    /** Every answer, refusals included, has the strict CSP and the other headers. */
    @Test
    void everyAnswerHasTheSecurityHeaders() throws IOException {
        start();
        List<RawHttp.Response> answers =
                List.of(
                        RawHttp.get(at(), "/", hostHeader()),
                        RawHttp.get(at(), "/app.js", hostHeader()),
                        RawHttp.get(at(), "/api/snapshot", hostHeader(), bearer(token())),
                        RawHttp.get(at(), "/api/snapshot", hostHeader()),
                        RawHttp.get(at(), "/x", hostHeader(), bearer(token())),
                        RawHttp.get(at(), "/", "Host: evil.example"),
                        RawHttp.exchange(
                                at(),
                                RawHttp.head("POST", "/", hostHeader(), "Content-Length: 0")));
        for (RawHttp.Response r : answers) {
            assertThat(r.header("content-security-policy"))
                    .as("status %d", r.status())
                    .isEqualTo(
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src"
                                    + " 'self' data:; connect-src 'self'; frame-ancestors 'none';"
                                    + " base-uri 'none'; form-action 'none'");
            assertThat(r.header("x-content-type-options")).isEqualTo("nosniff");
            assertThat(r.header("referrer-policy")).isEqualTo("no-referrer");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
        }
        assertThat(answers.get(6).status()).isEqualTo(405);
    }

    /** A request body over the bound gets 413; headers over theirs get 431. */
    @Test
    void oversizeRequestsAreRefused() throws IOException {
        start(WebUiServer.builder(backend).maxRequestBytes(1024));
        RawHttp.Response body =
                RawHttp.exchange(
                        at(),
                        RawHttp.head(
                                        "GET",
                                        "/api/snapshot",
                                        hostHeader(),
                                        bearer(token()),
                                        "Content-Length: 100000")
                                + "x".repeat(2000));
        assertThat(body.status()).isEqualTo(413);
        assertThat(body.header("content-security-policy")).isNotNull();
        RawHttp.Response headers =
                RawHttp.get(at(), "/", hostHeader(), "X-Filler: " + "y".repeat(10_000));
        assertThat(headers.status()).isEqualTo(431);
    }

    /** The WebSocket needs the page's Origin (else 403) and the token (else 401). */
    @Test
    void webSocketUpgradeChecksOriginAndToken() throws IOException {
        start();
        String protocols = "Sec-WebSocket-Protocol: p2pchat.v1, p2pchat.token.";
        assertThat(
                        RawHttp.exchange(
                                        at(),
                                        RawHttp.upgrade(
                                                hostHeader(),
                                                "Origin: http://evil.example",
                                                protocols + token()))
                                .status())
                .isEqualTo(403);
        assertThat(
                        RawHttp.exchange(at(), RawHttp.upgrade(hostHeader(), protocols + token()))
                                .status())
                .isEqualTo(403); // no Origin: not a page
        RawHttp.Response noToken =
                RawHttp.exchange(
                        at(),
                        RawHttp.upgrade(
                                hostHeader(),
                                originHeader(),
                                "Sec-WebSocket-Protocol: p2pchat.v1"));
        assertThat(noToken.status()).isEqualTo(401);
        assertThat(noToken.body()).isEmpty();
        assertThat(
                        RawHttp.exchange(
                                        at(),
                                        RawHttp.upgrade(
                                                hostHeader(),
                                                originHeader(),
                                                protocols + wrongToken()))
                                .status())
                .isEqualTo(401);
        assertThat(backend.subscribers()).isZero();
        try (Socket s = RawHttp.connect(at())) {
            s.getOutputStream()
                    .write(
                            RawHttp.upgrade(hostHeader(), originHeader(), protocols + token())
                                    .getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response ok = RawHttp.read(s.getInputStream());
            assertThat(ok.status()).isEqualTo(101);
            assertThat(ok.header("sec-websocket-protocol")).isEqualTo("p2pchat.v1");
        }
    }

    /**
     * Over the WebSocket a page gets the snapshot, then the events; its commands reach the backend
     * and their answers come back to it alone.
     */
    @Test
    void aPageGetsEventsAndSendsCommands() throws Exception {
        start();
        backend.snapshot(UiEvent.of("snapshot", Map.of("identity", Map.of("name", "alice"))));
        backend.answers(
                line ->
                        List.of(
                                UiEvent.of(
                                        "peers", Map.of("peers", List.of(Map.of("peer", "bob"))))));
        Page page = openPage();
        assertThat(page.next())
                .isEqualTo("{\"t\":\"snapshot\",\"e\":" + backend.snapshot().json() + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.subscribers() == 1);
        backend.publish(UiEvent.parse("{\"event\":\"message\",\"from\":\"bob\",\"text\":\"hi\"}"));
        assertThat(page.next())
                .isEqualTo(
                        "{\"t\":\"event\",\"e\":{\"event\":\"message\",\"from\":\"bob\",\"text\":\"hi\"}}");
        page.ws.sendText("{\"type\":\"command\",\"id\":7,\"line\":\"/peers\"}", true).join();
        assertThat(backend.commands.poll(10, TimeUnit.SECONDS)).isEqualTo("/peers");
        assertThat(page.next())
                .isEqualTo(
                        "{\"t\":\"reply\",\"id\":7,\"e\":{\"event\":\"peers\",\"peers\":[{\"peer\":\"bob\"}]}}");
        assertThat(page.next()).isEqualTo("{\"t\":\"done\",\"id\":7,\"ok\":true}");
        page.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> backend.subscribers() == 0 && server.pages() == 0);
    }

    /** A message that is not a command closes the page; a too long one too. */
    @Test
    void aMalformedOrOversizedMessageClosesThePage() throws Exception {
        start(WebUiServer.builder(backend).maxFrameBytes(2048));
        Page page = openPage();
        page.next();
        page.ws.sendText("<html>", true).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> page.closed.isDone());
        Page big = openPage();
        big.next();
        big.ws.sendText(
                "{\"type\":\"command\",\"id\":1,\"line\":\"" + "x".repeat(5000) + "\"}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> big.closed.isDone());
        assertThat(backend.commands).isEmpty();
    }

    /**
     * One connection more than the bound is closed at once; a page more than its bound gets 503.
     */
    @Test
    void connectionsAndPagesAreBounded() throws Exception {
        start(WebUiServer.builder(backend).maxConnections(3).maxPages(1));
        Page first = openPage(); // connection 1, page 1
        first.next();
        RawHttp.Response secondPage =
                RawHttp.exchange(
                        at(),
                        RawHttp.upgrade(
                                hostHeader(),
                                originHeader(),
                                "Sec-WebSocket-Protocol: p2pchat.v1, p2pchat.token." + token()));
        assertThat(secondPage.status()).isEqualTo(503);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // connections 2 and 3
                Socket s = RawHttp.connect(at());
                held.add(s);
                s.getOutputStream()
                        .write(
                                RawHttp.head("GET", "/", hostHeader())
                                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(RawHttp.read(s.getInputStream()).status()).isEqualTo(200); // keep-alive
            }
            try (Socket fourth = RawHttp.connect(at())) {
                fourth.getOutputStream()
                        .write(
                                RawHttp.head("GET", "/", hostHeader())
                                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(fourth.getInputStream().read())
                        .isEqualTo(-1); // closed, nothing answered
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () ->
                                assertThat(RawHttp.get(at(), "/", hostHeader()).status())
                                        .isEqualTo(200));
    }

    /**
     * A page that reads nothing never slows the publisher: its backlog is bounded, what it missed
     * is counted, and when it reads again it is told and gets a new snapshot.
     */
    @Test
    void aSlowPageMissesEventsButNeverBlocksThePublisher() throws Exception {
        start(WebUiServer.builder(backend).maxEventBacklog(100));
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.setSoTimeout(10_000);
            s.connect(at(), 5_000);
            s.getOutputStream()
                    .write(
                            RawHttp.upgrade(
                                            hostHeader(),
                                            originHeader(),
                                            "Sec-WebSocket-Protocol: p2pchat.v1, p2pchat.token."
                                                    + token())
                                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(RawHttp.read(in).status()).isEqualTo(101);
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.subscribers() == 1);
            // 20,000 events of 1 KiB (20 MiB) to a page that reads nothing.
            UiEvent e = UiEvent.of("message", Map.of("from", "bob", "text", "z".repeat(1000)));
            for (int i = 0; i < 20_000; i++) {
                backend.publish(e);
            }
            // The loop ended although the page reads nothing: publishing never waited for it.
            assertThat(server.missedEvents()).isGreaterThan(10_000);
            // Reading again, the page learns it missed events, then gets a snapshot.
            boolean toldMissed = false;
            boolean resynced = false;
            for (int i = 0; i < 30_000 && !resynced; i++) {
                String m = RawHttp.readFrame(in);
                toldMissed |= m.startsWith("{\"t\":\"missed\",\"n\":");
                resynced = toldMissed && m.startsWith("{\"t\":\"snapshot\"");
            }
            assertThat(toldMissed).isTrue();
            assertThat(resynced).isTrue();
        }
    }

    /** The QR endpoint needs the token and answers an SVG. */
    @Test
    void qrCodeIsAnAuthenticatedSvg() throws IOException {
        start();
        String path = "/api/qr?text=12345%2067890";
        assertThat(RawHttp.get(at(), path, hostHeader()).status()).isEqualTo(401);
        RawHttp.Response r = RawHttp.get(at(), path, hostHeader(), bearer(token()));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("image/svg+xml");
        assertThat(r.text()).startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"");
        assertThat(
                        RawHttp.get(
                                        at(),
                                        "/api/qr?text=" + "9".repeat(300),
                                        hostHeader(),
                                        bearer(token()))
                                .status())
                .isEqualTo(400);
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token;
    }

    private Page openPage() {
        return Page.open(server, closing);
    }
}
