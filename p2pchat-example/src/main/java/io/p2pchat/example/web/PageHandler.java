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
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
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
 *       follows at once.
 * </ul>
 *
 * From the page: {@code {"type":"command","id":N,"line":"/msg bob hi"}} and {@code
 * {"type":"snapshot"}}. Anything else closes the WebSocket (1003).
 *
 * <h2>Backlog</h2>
 *
 * The backend's threads only append to a queue of at most {@code maxEventBacklog} messages and
 * schedule a drain on the event loop, which writes while the channel is writable; they never wait.
 * When the queue is full, new messages are counted as missed, and the next drain drops the backlog
 * (stale by then), tells the page and sends a fresh snapshot.
 */
final class PageHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger LOG = LoggerFactory.getLogger(PageHandler.class);

    /** The longest command line, as in the console (a message of at most 4096 characters). */
    static final int MAX_LINE_LENGTH = 4224;

    private final WebUiServer server;
    private final ConcurrentLinkedDeque<String> backlog = new ConcurrentLinkedDeque<>();
    private final AtomicInteger backlogSize = new AtomicInteger();
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
        offer(reply(id, UiEvent.of("error", Map.of("message", why))));
        offer("{\"t\":\"done\",\"id\":" + id + ",\"ok\":false}");
    }

    /** The answers to command {@code id}; any thread. */
    private final class Replies implements UiBackend.CommandReplies {
        private final long id;
        private final AtomicBoolean done = new AtomicBoolean();

        Replies(long id) {
            this.id = id;
        }

        @Override
        public void reply(UiEvent event) {
            if (!done.get()) {
                offer(PageHandler.reply(id, event));
            }
        }

        @Override
        public void done(boolean ok) {
            if (done.compareAndSet(false, true)) {
                commandsInFlight.decrementAndGet();
                offer("{\"t\":\"done\",\"id\":" + id + ",\"ok\":" + ok + "}");
            }
        }
    }

    private static String reply(long id, UiEvent e) {
        return "{\"t\":\"reply\",\"id\":" + id + ",\"e\":" + e.json() + "}";
    }

    private static String envelope(String t, UiEvent e) {
        return "{\"t\":\"" + t + "\",\"e\":" + e.json() + "}";
    }

    /**
     * Queues a message for the page, or counts it as missed if the backlog is full; never blocks.
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
            backlog.offerLast(message);
        }
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
        backlog.offerFirst(envelope("snapshot", snapshot));
        drain();
    }

    private long dropBacklog() {
        long dropped = 0;
        while (backlog.pollFirst() != null) {
            backlogSize.decrementAndGet();
            dropped++;
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
        String m;
        while (ch.isWritable() && (m = backlog.pollFirst()) != null) {
            backlogSize.decrementAndGet();
            ch.write(new TextWebSocketFrame(m));
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
        dropBacklog();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("web UI page closed: {}", cause.toString());
        ctx.close();
    }
}
