package io.p2pchat.example.web;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One page, over its WebSocket: relays the backend's events to it through a bounded backlog, and
 * its commands to the backend.
 *
 * <h2>Messages</h2>
 *
 * From the server, one JSON object per text frame, with a field {@code t}:
 *
 * <ul>
 *   <li>{@code {"t":"snapshot","e":{...}}}: the whole state (first, and after missed events);
 *   <li>{@code {"t":"event","e":{...}}}: an event for every page;
 *   <li>{@code {"t":"reply","id":N,"e":{...}}} and {@code {"t":"done","id":N,"ok":true}}: the
 *       answers to this page's command {@code N};
 *   <li>{@code {"t":"missed","n":N}}: the page fell behind and N messages were dropped; a snapshot
 *       follows at once;
 *   <li>{@code {"t":"prompt","id":N,"prompt":P,"kind":K,"text":T,"timeout_ms":MS}}: command {@code
 *       N} asks the person (kind {@code passphrase}, {@code confirm-text} or {@code yes-no});
 *       {@code {"t":"prompt_end","prompt":P,"reason":R}}: the question is withdrawn (time ran out,
 *       the answer was refused).
 * </ul>
 *
 * From the page: {@code {"type":"command","id":N,"line":"/msg bob hi"}}, {@code
 * {"type":"snapshot"}}, {@code {"type":"answer","prompt":P,"text":T}} (T null: cancelled) and
 * {@code {"type":"read","conversation":ID}}. Anything else closes the WebSocket (1003).
 *
 * <h2>Backlog</h2>
 *
 * The backend's threads only append to a queue of at most {@code maxEventBacklog} messages and
 * schedule a drain on the event loop, which writes while the channel is writable; they never wait.
 * When the queue is full, new messages are counted as missed, and the next drain drops the backlog
 * (stale by then), tells the page and sends a fresh snapshot.
 *
 * <p>The answers to the page's commands are not events: a snapshot does not hold them, so they are
 * queued apart from the events' count and kept when the backlog is dropped. Replies past {@code
 * maxEventBacklog} are dropped and the command's {@code done} says how many ({@code "lost":N});
 * {@code done}, {@code prompt} and {@code prompt_end} are always queued (at most one each per
 * command in flight: a command counts as in flight until its {@code done} is written).
 */
final class PageHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger LOG = LoggerFactory.getLogger(PageHandler.class);

    /** The longest command line, as in the console (a message of at most 4096 characters). */
    static final int MAX_LINE_LENGTH = 4224;

    /** The longest answer to a question (a passphrase, a name typed to confirm). */
    static final int MAX_ANSWER_LENGTH = 1024;

    private static final Set<String> PROMPT_KINDS = Set.of("passphrase", "confirm-text", "yes-no");

    /** What a message for the page is: only events are dropped when the page falls behind. */
    private enum Kind {
        EVENT,
        REPLY,
        DONE,
        PROMPT
    }

    private record Entry(String text, Kind kind) {}

    private final WebUiServer server;
    private final ConcurrentLinkedDeque<Entry> backlog = new ConcurrentLinkedDeque<>();
    private final AtomicInteger backlogSize = new AtomicInteger(); // events only
    private final AtomicInteger repliesQueued = new AtomicInteger();
    private final Map<Long, Prompt> prompts = new ConcurrentHashMap<>();
    private final AtomicLong nextPrompt = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicInteger commandsInFlight = new AtomicInteger();
    private volatile Channel channel;
    private volatile boolean closed;
    private UiBackend.Subscription subscription; // event loop only

    PageHandler(WebUiServer server) {
        this.server = server;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete) {
            channel = ctx.channel();
            subscription = server.backend().subscribe(e -> offer(envelope("event", e)));
            resync();
            return;
        }
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(new PingWebSocketFrame());
            } else {
                ctx.close(); // nothing from the page, not even a pong, for the whole timeout
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!(frame instanceof TextWebSocketFrame text)) {
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE));
            ctx.close();
            return;
        }
        JsonObject msg;
        try {
            JsonElement e = JsonParser.parseString(text.text());
            msg = e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (RuntimeException e) {
            msg = null;
        }
        String type = msg == null ? null : string(msg, "type");
        if ("snapshot".equals(type)) {
            resync();
        } else if ("command".equals(type)
                && msg.get("id") instanceof JsonPrimitive id
                && id.isNumber()
                && string(msg, "line") != null) {
            command(id.getAsLong(), string(msg, "line"));
        } else if ("answer".equals(type)
                && msg.get("prompt") instanceof JsonPrimitive p
                && p.isNumber()
                && (string(msg, "text") != null
                        || msg.get("text") == null
                        || msg.get("text").isJsonNull())) {
            answer(p.getAsLong(), string(msg, "text"));
        } else if ("read".equals(type)
                && string(msg, "conversation") != null
                && string(msg, "conversation").matches("[0-9a-f]{64}")) {
            server.backend().read(string(msg, "conversation"));
        } else {
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE));
            ctx.close();
        }
    }

    private static String string(JsonObject o, String field) {
        JsonElement v = o.get(field);
        return v instanceof JsonPrimitive p && p.isString() ? p.getAsString() : null;
    }

    private void command(long id, String line) {
        if (line.length() > MAX_LINE_LENGTH) {
            reject(id, "the line is longer than " + MAX_LINE_LENGTH + " characters");
            return;
        }
        if (commandsInFlight.incrementAndGet() > server.limits().maxCommandsInFlight()) {
            commandsInFlight.decrementAndGet();
            reject(id, "too many commands not finished yet; wait for their answers");
            return;
        }
        server.backend().submit(line, new Replies(id));
    }

    private void reject(long id, String why) {
        commandsInFlight.incrementAndGet(); // until its done is written, as any command
        offerReply(reply(id, UiEvent.of("error", Map.of("message", why))));
        offerDone("{\"t\":\"done\",\"id\":" + id + ",\"ok\":false}");
    }

    /** The page's answer to question {@code promptId}; null: cancelled. Event loop. */
    private void answer(long promptId, String text) {
        Prompt p = prompts.get(promptId);
        if (p == null) {
            return; // withdrawn already (the time ran out); the page was told
        }
        if (text != null && text.length() > MAX_ANSWER_LENGTH) {
            withdraw(p, "the answer is longer than " + MAX_ANSWER_LENGTH + " characters");
            return;
        }
        p.answer.complete(text);
    }

    /** Fails the question with {@code why}, telling the page to close it. */
    private void withdraw(Prompt p, String why) {
        if (p.answer.isDone()) {
            return;
        }
        // The page hears first, then the command (which may answer at once).
        JsonObject o = new JsonObject();
        o.addProperty("t", "prompt_end");
        o.addProperty("prompt", p.id);
        o.addProperty("reason", why);
        offerControl(o.toString());
        p.answer.completeExceptionally(new UiBackend.PromptException(why));
    }

    /** A question to the page, open until answered, withdrawn or the page closes. */
    private static final class Prompt {
        final long id;
        final long command;
        final CompletableFuture<String> answer = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        Prompt(long id, long command) {
            this.id = id;
            this.command = command;
        }
    }

    /** The answers to command {@code id}; any thread. */
    private final class Replies implements UiBackend.CommandReplies {
        private final long id;
        private final AtomicBoolean done = new AtomicBoolean();

        Replies(long id) {
            this.id = id;
        }

        private final AtomicInteger lost = new AtomicInteger();

        @Override
        public void reply(UiEvent event) {
            if (!done.get() && !offerReply(PageHandler.reply(id, event))) {
                lost.incrementAndGet();
            }
        }

        @Override
        public void done(boolean ok) {
            if (done.compareAndSet(false, true)) {
                for (Prompt p : prompts.values()) {
                    if (p.command == id) {
                        withdraw(p, "the command ended");
                    }
                }
                int n = lost.get();
                offerDone(
                        "{\"t\":\"done\",\"id\":"
                                + id
                                + ",\"ok\":"
                                + (ok && n == 0)
                                + (n == 0 ? "" : ",\"lost\":" + n)
                                + "}");
            }
        }

        @Override
        public CompletableFuture<String> ask(String kind, String text) {
            Channel ch = channel;
            if (!PROMPT_KINDS.contains(kind)) {
                throw new IllegalArgumentException("kind: " + kind);
            }
            if (done.get() || closed || ch == null) {
                return CompletableFuture.failedFuture(
                        new UiBackend.PromptException("the page was closed"));
            }
            for (Prompt p : prompts.values()) {
                if (p.command == id) {
                    return CompletableFuture.failedFuture(
                            new UiBackend.PromptException("one question at a time"));
                }
            }
            Prompt p = new Prompt(nextPrompt.incrementAndGet(), id);
            prompts.put(p.id, p);
            p.answer.whenComplete(
                    (a, e) -> {
                        prompts.remove(p.id);
                        ScheduledFuture<?> t = p.timeout;
                        if (t != null) {
                            t.cancel(false);
                        }
                    });
            long ms = server.limits().promptTimeout().toMillis();
            p.timeout =
                    ch.eventLoop()
                            .schedule(
                                    () ->
                                            withdraw(
                                                    p,
                                                    "no answer within "
                                                            + (ms >= 1000
                                                                    ? ms / 1000 + " s"
                                                                    : ms + " ms")),
                                    ms,
                                    TimeUnit.MILLISECONDS);
            if (p.answer.isDone()) {
                p.timeout.cancel(false);
            }
            JsonObject o = new JsonObject();
            o.addProperty("t", "prompt");
            o.addProperty("id", id);
            o.addProperty("prompt", p.id);
            o.addProperty("kind", kind);
            o.addProperty("text", text);
            o.addProperty("timeout_ms", ms);
            offerControl(o.toString());
            if (closed) {
                withdraw(p, "the page was closed");
            }
            return p.answer;
        }
    }

    private static String reply(long id, UiEvent e) {
        return "{\"t\":\"reply\",\"id\":" + id + ",\"e\":" + e.json() + "}";
    }

    private static String envelope(String t, UiEvent e) {
        return "{\"t\":\"" + t + "\",\"e\":" + e.json() + "}";
    }

    /**
     * Queues an event for the page, or counts it as missed if the backlog is full; never blocks.
     * Any thread.
     */
    private void offer(String message) {
        Channel ch = channel;
        if (closed || ch == null) {
            return;
        }
        if (backlogSize.incrementAndGet() > server.limits().maxEventBacklog()) {
            backlogSize.decrementAndGet();
            missed.incrementAndGet();
            server.missed(1);
        } else {
            backlog.offerLast(new Entry(message, Kind.EVENT));
        }
        scheduleDrain(ch);
    }

    /** Queues a reply to a command; false (not queued) when too many are waiting. Any thread. */
    private boolean offerReply(String message) {
        Channel ch = channel;
        if (closed || ch == null) {
            return true;
        }
        if (repliesQueued.incrementAndGet() > server.limits().maxEventBacklog()) {
            repliesQueued.decrementAndGet();
            server.missed(1);
            return false;
        }
        backlog.offerLast(new Entry(message, Kind.REPLY));
        scheduleDrain(ch);
        return true;
    }

    /** Queues a command's {@code done}, always (bounded by the commands in flight). */
    private void offerDone(String message) {
        queueControl(new Entry(message, Kind.DONE));
    }

    /** Queues a {@code prompt} or {@code prompt_end}, always (one per command in flight). */
    private void offerControl(String message) {
        queueControl(new Entry(message, Kind.PROMPT));
    }

    private void queueControl(Entry e) {
        Channel ch = channel;
        if (closed || ch == null) {
            return;
        }
        backlog.offerLast(e);
        scheduleDrain(ch);
    }

    private void scheduleDrain(Channel ch) {
        if (drainScheduled.compareAndSet(false, true)) {
            ch.eventLoop().execute(this::drain);
        }
    }

    /**
     * Replaces what is queued by a snapshot: the events queued so far are in it. Events the backend
     * publishes while it is made are queued after it (the page applies them idempotently). Event
     * loop only.
     */
    private void resync() {
        dropBacklog();
        UiEvent snapshot = server.backend().snapshot();
        backlogSize.incrementAndGet();
        backlog.offerFirst(new Entry(envelope("snapshot", snapshot), Kind.EVENT));
        drain();
    }

    /**
     * Drops the queued events, keeping the answers to commands (a snapshot does not hold them).
     * Event loop only (the only place entries are removed).
     */
    private long dropBacklog() {
        long dropped = 0;
        for (Iterator<Entry> it = backlog.iterator(); it.hasNext(); ) {
            if (it.next().kind() == Kind.EVENT) {
                it.remove();
                backlogSize.decrementAndGet();
                dropped++;
            }
        }
        return dropped;
    }

    /** Writes what is queued while the channel is writable. Event loop only. */
    private void drain() {
        drainScheduled.set(false);
        Channel ch = channel;
        if (closed || ch == null || !ch.isActive()) {
            return;
        }
        long lost = missed.getAndSet(0);
        if (lost > 0) {
            long stale = dropBacklog();
            server.missed(stale);
            LOG.debug("a web UI page fell behind: {} messages dropped", lost + stale);
            ch.write(new TextWebSocketFrame("{\"t\":\"missed\",\"n\":" + (lost + stale) + "}"));
            resync();
            return;
        }
        Entry m;
        while (ch.isWritable() && (m = backlog.pollFirst()) != null) {
            switch (m.kind()) {
                case EVENT -> backlogSize.decrementAndGet();
                case REPLY -> repliesQueued.decrementAndGet();
                case DONE -> commandsInFlight.decrementAndGet();
                case PROMPT -> {
                    // one per command in flight
                }
            }
            ch.write(new TextWebSocketFrame(m.text()));
        }
        ch.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            drain();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        if (subscription != null) {
            subscription.close();
        }
        for (Prompt p : prompts.values()) {
            withdraw(p, "the page was closed");
        }
        backlog.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("web UI page closed: {}", cause.toString());
        ctx.close();
    }
}
