package io.p2pchat.example.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A WebSocket client, as a page opens it (the JDK's client, with the token and the Origin). */
final class Page implements WebSocket.Listener {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket ws;

    /** Opens a page of {@code server}; {@code closing} gets what aborts it after the test. */
    static Page open(WebUiServer server, List<AutoCloseable> closing) {
        Page page = new Page();
        String url = server.url();
        String token = url.substring(url.indexOf("#token=") + "#token=".length());
        page.ws =
                HttpClient.newHttpClient()
                        .newWebSocketBuilder()
                        .header("Origin", server.origin())
                        .subprotocols("p2pchat.v1", "p2pchat.token." + token)
                        .buildAsync(
                                URI.create("ws://127.0.0.1:" + server.address().getPort() + "/ws"),
                                page)
                        .join();
        closing.add(() -> page.ws.abort());
        return page;
    }

    /** The next message from the server, within 10 s. */
    String next() throws InterruptedException {
        String m = messages.poll(10, TimeUnit.SECONDS);
        assertThat(m).as("a message within 10 s").isNotNull();
        return m;
    }

    /** Sends one text message. */
    void send(String text) {
        ws.sendText(text, true).join();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(null);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(null);
    }
}
