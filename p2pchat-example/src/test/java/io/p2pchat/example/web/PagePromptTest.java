package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The page's side of a command's questions over a real WebSocket: a prompt goes to the asking page
 * with its kind and time; the answer comes back, bounded in size and time; a page that closes or
 * stays silent cancels the command with a reason. And a page that falls behind still gets every
 * command's {@code done}.
 */
class PagePromptTest {
    private static final String PASSPHRASE = "correct horse battery staple";

    private final TestBackend backend = new TestBackend();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final BlockingQueue<CompletableFuture<String>> asked = new LinkedBlockingQueue<>();
    private WebUiServer server;

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private WebUiServer serve(WebUiServer.Builder b) throws IOException {
        server = b.build().start();
        closing.add(server::close);
        return server;
    }

    /** Answers question {@code prompt} with {@code textJson} (a JSON string or null). */
    private static void answer(Page page, JsonObject prompt, String textJson) {
        page.send(
                "{\"type\":\"answer\",\"prompt\":"
                        + prompt.get("prompt").getAsLong()
                        + ",\"text\":"
                        + textJson
                        + "}");
    }

    private Page start(WebUiServer.Builder b) throws Exception {
        serve(b);
        // Each command asks one question and replies with what it got.
        backend.handler(
                (line, replies) -> {
                    CompletableFuture<String> answer =
                            replies.ask(
                                    line.contains("revoke") ? "confirm-text" : "passphrase",
                                    line.contains("revoke")
                                            ? "Type alice to revoke it:"
                                            : "Passphrase of this identity:");
                    asked.add(answer);
                    answer.whenComplete(
                            (a, e) -> {
                                replies.reply(
                                        UiEvent.of(
                                                "info",
                                                Map.of(
                                                        "message",
                                                        e == null
                                                                ? "answered"
                                                                : "cancelled: " + e.getMessage())));
                                replies.done(e == null);
                            });
                });
        Page page = Page.open(server, closing);
        assertThat(page.next()).startsWith("{\"t\":\"snapshot\"");
        return page;
    }

    private static JsonObject json(String m) {
        return JsonParser.parseString(m).getAsJsonObject();
    }

    private CompletableFuture<String> nextQuestion() throws InterruptedException {
        CompletableFuture<String> f = asked.poll(10, TimeUnit.SECONDS);
        assertThat(f).as("the backend asked").isNotNull();
        return f;
    }

    /**
     * The passphrase question reaches the asking page with its kind, text and time; the answer
     * reaches the command and is never sent back to any page.
     */
    @Test
    void aQuestionGoesToThePageAndItsAnswerToTheCommand() throws Exception {
        Page page = start(WebUiServer.builder(backend));
        page.send("{\"type\":\"command\",\"id\":3,\"line\":\"/identity rotate\"}");
        JsonObject prompt = json(page.next());
        assertThat(prompt.get("t").getAsString()).isEqualTo("prompt");
        assertThat(prompt.get("id").getAsLong()).isEqualTo(3);
        assertThat(prompt.get("kind").getAsString()).isEqualTo("passphrase");
        assertThat(prompt.get("text").getAsString()).isEqualTo("Passphrase of this identity:");
        assertThat(prompt.get("timeout_ms").getAsLong()).isEqualTo(120_000);
        CompletableFuture<String> answer = nextQuestion();
        answer(page, prompt, "\"" + PASSPHRASE + "\"");
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(PASSPHRASE);
        String reply = page.next();
        String done = page.next();
        assertThat(reply).contains("answered").doesNotContain(PASSPHRASE);
        assertThat(done).isEqualTo("{\"t\":\"done\",\"id\":3,\"ok\":true}");
        assertThat(page.messages).isEmpty();
    }

    /** Cancel on the page: the command gets null (the console's Ctrl-C). */
    @Test
    void aCancelledQuestionAnswersNull() throws Exception {
        Page page = start(WebUiServer.builder(backend));
        page.send("{\"type\":\"command\",\"id\":1,\"line\":\"/identity revoke\"}");
        JsonObject prompt = json(page.next());
        assertThat(prompt.get("kind").getAsString()).isEqualTo("confirm-text");
        answer(page, prompt, "null");
        assertThat(nextQuestion().get(10, TimeUnit.SECONDS)).isNull();
    }

    /**
     * No answer in time: the question is withdrawn (the page is told why), the command gets the
     * reason, and a late answer changes nothing.
     */
    @Test
    void noAnswerInTimeCancelsTheCommand() throws Exception {
        Page page = start(WebUiServer.builder(backend).promptTimeout(Duration.ofMillis(300)));
        page.send("{\"type\":\"command\",\"id\":2,\"line\":\"/identity rotate\"}");
        JsonObject prompt = json(page.next());
        CompletableFuture<String> answer = nextQuestion();
        JsonObject end = json(page.next());
        assertThat(end.get("t").getAsString()).isEqualTo("prompt_end");
        assertThat(end.get("prompt").getAsLong()).isEqualTo(prompt.get("prompt").getAsLong());
        assertThat(end.get("reason").getAsString()).isEqualTo("no answer within 300 ms");
        assertThat(failure(answer)).isEqualTo("no answer within 300 ms");
        assertThat(page.next()).contains("cancelled: no answer within 300 ms");
        assertThat(page.next()).isEqualTo("{\"t\":\"done\",\"id\":2,\"ok\":false}");
        answer(page, prompt, "\"late\"");
        page.send("{\"type\":\"command\",\"id\":4,\"line\":\"/identity rotate\"}");
        assertThat(json(page.next()).get("id").getAsLong()).isEqualTo(4); // still open
    }

    /** An answer over 1,024 characters cancels the command; the page stays open. */
    @Test
    void aTooLongAnswerCancelsTheCommand() throws Exception {
        Page page = start(WebUiServer.builder(backend));
        page.send("{\"type\":\"command\",\"id\":5,\"line\":\"/identity rotate\"}");
        JsonObject prompt = json(page.next());
        CompletableFuture<String> answer = nextQuestion();
        answer(page, prompt, "\"" + "x".repeat(PageHandler.MAX_ANSWER_LENGTH + 1) + "\"");
        assertThat(failure(answer)).isEqualTo("the answer is longer than 1024 characters");
        assertThat(json(page.next()).get("t").getAsString()).isEqualTo("prompt_end");
        assertThat(page.closed).isNotDone();
    }

    /** A page that closes with a question open cancels its command. */
    @Test
    void aClosedPageCancelsTheCommand() throws Exception {
        Page page = start(WebUiServer.builder(backend));
        page.send("{\"type\":\"command\",\"id\":6,\"line\":\"/identity rotate\"}");
        page.next();
        CompletableFuture<String> answer = nextQuestion();
        page.ws.abort();
        assertThat(failure(answer)).isEqualTo("the page was closed");
    }

    /** An answer whose text is not a string is malformed: the page is closed. */
    @Test
    void aMalformedAnswerClosesThePage() throws Exception {
        Page page = start(WebUiServer.builder(backend));
        page.send("{\"type\":\"answer\",\"prompt\":1,\"text\":{\"a\":1}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> page.closed.isDone());
    }

    /**
     * A page that fell behind gets a new snapshot, and still the answers of the commands it had in
     * flight: a short answer whole, a long one with its {@code done} saying how many replies were
     * lost.
     */
    @Test
    void commandsInFlightAreAnsweredAfterTheBacklogOverflows() throws Exception {
        serve(WebUiServer.builder(backend).maxEventBacklog(50));
        BlockingQueue<UiBackend.CommandReplies> waiting = new LinkedBlockingQueue<>();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        backend.handler(
                (line, replies) -> {
                    if (!line.equals("/hold")) {
                        waiting.add(replies);
                        return;
                    }
                    // Holds the web event loop (submit runs on it), so that nothing is written
                    // to the page until the answers below are queued behind the stale events.
                    holding.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    replies.done(true);
                });
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.setSoTimeout(10_000);
            s.connect(server.address(), 5_000);
            String url = server.url();
            s.getOutputStream()
                    .write(
                            RawHttp.upgrade(
                                            "Host: 127.0.0.1:" + server.address().getPort(),
                                            "Origin: " + server.origin(),
                                            "Sec-WebSocket-Protocol: p2pchat.v1, p2pchat.token."
                                                    + url.substring(url.indexOf("#token=") + 7))
                                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(RawHttp.read(in).status()).isEqualTo(101);
            RawHttp.writeText(s, "{\"type\":\"command\",\"id\":1,\"line\":\"/peers\"}");
            RawHttp.writeText(s, "{\"type\":\"command\",\"id\":2,\"line\":\"/history bob\"}");
            UiBackend.CommandReplies first = waiting.poll(10, TimeUnit.SECONDS);
            UiBackend.CommandReplies second = waiting.poll(10, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(second).isNotNull();
            RawHttp.writeText(s, "{\"type\":\"command\",\"id\":3,\"line\":\"/hold\"}");
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            // The page reads nothing while 20,000 events of 1 KiB and the answers come.
            UiEvent e = UiEvent.of("message", Map.of("from", "bob", "text", "z".repeat(1000)));
            for (int i = 0; i < 20_000; i++) {
                backend.publish(e);
            }
            first.reply(UiEvent.of("peers", Map.of("peers", List.of())));
            first.done(true);
            for (int i = 0; i < 200; i++) {
                second.reply(UiEvent.of("history", Map.of("n", i)));
            }
            second.done(true);
            // The event loop goes on: the page missed events, and the snapshot that replaces
            // them must not take the answers with them.
            release.countDown();
            assertThat(server.missedEvents()).isGreaterThan(10_000);
            boolean resynced = false;
            String done1 = null;
            String done2 = null;
            boolean reply1 = false;
            for (int i = 0; i < 40_000 && (done1 == null || done2 == null); i++) {
                String m = readFrame(in);
                resynced |= m.startsWith("{\"t\":\"snapshot\"");
                reply1 |= m.startsWith("{\"t\":\"reply\",\"id\":1,");
                done1 = m.startsWith("{\"t\":\"done\",\"id\":1,") ? m : done1;
                done2 = m.startsWith("{\"t\":\"done\",\"id\":2,") ? m : done2;
            }
            assertThat(resynced).isTrue();
            assertThat(reply1).isTrue();
            assertThat(done1).isEqualTo("{\"t\":\"done\",\"id\":1,\"ok\":true}");
            assertThat(done2).startsWith("{\"t\":\"done\",\"id\":2,\"ok\":false,\"lost\":");
        }
    }

    private static String readFrame(InputStream in) throws IOException {
        return RawHttp.readFrame(in);
    }

    private static String failure(CompletableFuture<String> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("answered: " + f.get());
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(UiBackend.PromptException.class);
            return e.getCause().getMessage();
        }
    }
}
