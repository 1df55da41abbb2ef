package io.p2pchat.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.HandshakeHandler;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.LocalIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Two {@link EmbeddedChannel}s running the secure channel back to back on the test thread, with a
 * hook that can modify, drop or inject frames in flight.
 *
 * <p>The contexts run public-key work inline ({@code cryptoExecutor(Runnable::run)}), so every step
 * is deterministic; {@link #pump()} moves bytes until nothing moves.
 */
public final class EmbeddedPair implements AutoCloseable {
    /** Direction of a frame in flight. */
    public enum Dir {
        I_TO_R,
        R_TO_I
    }

    /** Modifies one frame in flight: return it, a replacement, or null to drop it. */
    @FunctionalInterface
    public interface Tap {
        ByteBuf onFrame(Dir dir, int index, ByteBuf frame);
    }

    public final EmbeddedChannel initiator;
    public final EmbeddedChannel responder;
    public final Recorder initiatorApp = new Recorder();
    public final Recorder responderApp = new Recorder();
    public final io.netty.util.concurrent.Future<SecureSession> initiatorFuture;
    public final io.netty.util.concurrent.Future<SecureSession> responderFuture;
    private Tap tap = (d, i, f) -> f;
    private int iToR;
    private int rToI;

    public EmbeddedPair(
            SecureChannelContext initiatorContext, SecureChannelContext responderContext) {
        initiator = new EmbeddedChannel();
        responder = new EmbeddedChannel();
        responderContext.addHandlers(responder.pipeline(), Role.RESPONDER);
        responder.pipeline().addLast(responderApp);
        initiatorContext.addHandlers(initiator.pipeline(), Role.INITIATOR);
        initiator.pipeline().addLast(initiatorApp);
        initiatorFuture = initiator.pipeline().get(HandshakeHandler.class).handshakeFuture();
        responderFuture = responder.pipeline().get(HandshakeHandler.class).handshakeFuture();
    }

    /** A pair of default contexts for two test identities, accepting any peer. */
    public static EmbeddedPair of(String initiatorName, String responderName) {
        return new EmbeddedPair(
                context(TestIdentities.get(initiatorName)).build(),
                context(TestIdentities.get(responderName)).build());
    }

    /** A context builder with inline crypto and an accept-any verifier, for embedded tests. */
    public static SecureChannelContext.Builder context(LocalIdentity identity) {
        return SecureChannelContext.builder(identity)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .cryptoExecutor(Runnable::run);
    }

    /** Installs a tap that sees every frame in flight from now on. */
    public EmbeddedPair tap(Tap tap) {
        this.tap = tap;
        return this;
    }

    /** Moves frames both ways until nothing moves (bounded). Returns the number moved. */
    public int pump() {
        int moved = 0;
        for (int round = 0; round < 10_000; round++) {
            initiator.runPendingTasks();
            responder.runPendingTasks();
            int n = move(initiator, responder, Dir.I_TO_R) + move(responder, initiator, Dir.R_TO_I);
            if (n == 0) {
                initiator.runPendingTasks();
                responder.runPendingTasks();
                if (initiator.outboundMessages().isEmpty()
                        && responder.outboundMessages().isEmpty()) {
                    return moved;
                }
            }
            moved += n;
        }
        throw new AssertionError("pump did not settle");
    }

    private int move(EmbeddedChannel from, EmbeddedChannel to, Dir dir) {
        int n = 0;
        Object msg;
        while ((msg = from.readOutbound()) != null) {
            ByteBuf frame = (ByteBuf) msg;
            int index = dir == Dir.I_TO_R ? iToR++ : rToI++;
            ByteBuf out = tap.onFrame(dir, index, frame);
            if (out != frame) {
                frame.release();
            }
            if (out != null && to.isOpen()) {
                to.writeInbound(out);
            } else if (out != null) {
                out.release();
            }
            n++;
        }
        return n;
    }

    /** Runs the handshake; returns the initiator's session if it succeeded. */
    public Optional<SecureSession> handshake() {
        pump();
        return SecureSession.of(initiator);
    }

    /** The initiator's handshake handler (null once removed). */
    public HandshakeHandler initiatorHandshake() {
        return initiator.pipeline().get(HandshakeHandler.class);
    }

    /** Writes {@code bytes} from the initiator and pumps. */
    public void sendFromInitiator(byte[] bytes) {
        initiator.writeAndFlush(Unpooled.wrappedBuffer(bytes));
        pump();
    }

    /** Writes {@code bytes} from the responder and pumps. */
    public void sendFromResponder(byte[] bytes) {
        responder.writeAndFlush(Unpooled.wrappedBuffer(bytes));
        pump();
    }

    /** Releases everything left in both channels; returns true if anything was left over. */
    @Override
    public void close() {
        initiator.finishAndReleaseAll();
        responder.finishAndReleaseAll();
    }

    /** Records what reaches the application handler. */
    public static final class Recorder extends ChannelInboundHandlerAdapter {
        public final List<byte[]> messages = new ArrayList<>();
        public final List<Object> events = new ArrayList<>();
        public final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                messages.add(ByteBufUtil.getBytes((ByteBuf) msg));
            } finally {
                ReferenceCountUtil.release(msg);
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

        /** The handshake outcome event, if one arrived. */
        public Optional<HandshakeCompletionEvent> completion() {
            return events.stream()
                    .filter(HandshakeCompletionEvent.class::isInstance)
                    .map(HandshakeCompletionEvent.class::cast)
                    .findFirst();
        }

        /** The error code of the handshake failure or of the first channel error. */
        public Optional<ErrorCode> failureCode() {
            Optional<Throwable> cause = completion().flatMap(HandshakeCompletionEvent::cause);
            if (cause.isEmpty() && !errors.isEmpty()) {
                cause = Optional.of(errors.get(0));
            }
            return cause.map(ErrorCode::of);
        }

        /** Events of a type. */
        public <T> List<T> eventsOf(Class<T> type) {
            List<T> out = new ArrayList<>();
            for (Object e : events) {
                if (type.isInstance(e)) {
                    out.add(type.cast(e));
                }
            }
            return out;
        }
    }

    /** Delivers {@code buf} to {@code ch} if it is still open, else releases it. */
    public static void deliver(io.netty.channel.embedded.EmbeddedChannel ch, ByteBuf buf) {
        if (ch.isOpen()) {
            ch.writeInbound(buf);
        } else {
            buf.release();
        }
    }

    /** Simulates the remote end closing the connection (FIN or RST), without a local close. */
    public static void remoteClose(io.netty.channel.embedded.EmbeddedChannel ch) {
        ch.unsafe().close(ch.voidPromise());
        ch.runPendingTasks();
    }

    /** Returns a copy of a frame with bit {@code bit} flipped. */
    public static ByteBuf flipBit(ByteBuf frame, int bit) {
        ByteBuf copy = Unpooled.copiedBuffer(frame);
        int idx = copy.readerIndex() + bit / 8;
        copy.setByte(idx, copy.getByte(idx) ^ (1 << (bit % 8)));
        return copy;
    }
}
