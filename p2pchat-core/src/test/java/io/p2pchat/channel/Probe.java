package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The application handler at the end of an honest peer's pipeline: records what reaches the
 * application (messages, events, errors) and optionally echoes every message back. Thread-safe, so
 * tests can read it while the event loop writes.
 */
public final class Probe extends ChannelInboundHandlerAdapter {
    public final List<byte[]> messages = new CopyOnWriteArrayList<>();
    public final List<Object> events = new CopyOnWriteArrayList<>();
    public final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final boolean echo;
    private volatile boolean inactive;

    public Probe(boolean echo) {
        this.echo = echo;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            byte[] bytes = ByteBufUtil.getBytes(buf);
            messages.add(bytes);
            if (echo) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes));
            }
        } finally {
            buf.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.add(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        ctx.fireChannelInactive();
    }

    /** Whether the channel went inactive (after all events of its end). */
    public boolean isInactive() {
        return inactive;
    }

    /** The handshake outcome, if it arrived. */
    public Optional<HandshakeCompletionEvent> completion() {
        return events.stream()
                .filter(HandshakeCompletionEvent.class::isInstance)
                .map(HandshakeCompletionEvent.class::cast)
                .findFirst();
    }

    /** The established session, if the handshake succeeded. */
    public Optional<SecureSession> session() {
        return completion().flatMap(HandshakeCompletionEvent::session);
    }

    /** How the established channel ended, if it did. */
    public Optional<SecureChannelClosedEvent> closed() {
        return events.stream()
                .filter(SecureChannelClosedEvent.class::isInstance)
                .map(SecureChannelClosedEvent.class::cast)
                .findFirst();
    }

    /**
     * The precise local error: the handshake failure, else the first coded channel error, else the
     * reason of the close event.
     */
    public Optional<ErrorCode> failureCode() {
        Optional<Throwable> cause = completion().flatMap(HandshakeCompletionEvent::cause);
        if (cause.isPresent()) {
            return Optional.ofNullable(ErrorCode.of(cause.get()));
        }
        for (Throwable t : errors) {
            ErrorCode code = ErrorCode.of(t);
            if (code != null) {
                return Optional.of(code);
            }
        }
        return closed().flatMap(SecureChannelClosedEvent::reason);
    }

    /** Events of a type. */
    public <T> List<T> eventsOf(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
