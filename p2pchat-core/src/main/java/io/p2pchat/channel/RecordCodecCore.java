package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.identity.PeerId;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of an established channel behind {@link io.p2pchat.channel.RecordCodec}: its
 * lifecycle, the dispatch of received records (application data, control messages, alerts), close
 * and failure. The concerns around it are classes of their own, one per spec section:
 *
 * <ul>
 *   <li>{@link WriteCoalescer}: the queued application writes and their coalescing into records;
 *   <li>{@link Ratchet}: the symmetric ratchet and key updates of both directions, over the {@link
 *       RecordWriter} and {@link RecordReader} and their {@link DirectionKeys};
 *   <li>{@link Rekey}: the in-channel rekey;
 *   <li>{@link KeepAlive}: the idle timeout, keep-alive pings and the rekey timer.
 * </ul>
 *
 * <p>Threading: every method runs on the channel's event loop, and all of the state here and in the
 * classes above is confined to it; the session's counters ({@link #stats()}) are {@code volatile}
 * and may be read from any thread. Nothing here runs on the crypto executor.
 */
final class RecordCodecCore {
    private static final Logger log = LoggerFactory.getLogger(RecordCodecCore.class);

    private final ChannelSettings settings;
    private ChannelHandlerContext ctx;
    private WriteCoalescer coalescer;
    private boolean flushPending;

    private boolean active;
    private boolean failed;
    private boolean failCalled;
    private boolean closeNotifySent;
    private boolean closeNotifyReceived;
    private boolean closeReported;
    private boolean closedLocally;
    private ErrorCode closeReason;
    private Throwable handshakeFailure;

    private SessionImpl session;
    private PeerId peerId;
    private int maxPlaintextIn;
    private RecordDigest digest;
    private Ratchet ratchet;
    private Rekey rekey;
    private KeepAlive keepAlive;
    private ControlMessages control;

    private volatile long recordsSent;
    private volatile long recordsReceived;
    private volatile long bytesReceived;

    public RecordCodecCore(ChannelSettings settings) {
        this.settings = settings;
    }

    // ------------------------------------------------------------------ lifecycle

    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.coalescer = new WriteCoalescer(this, ctx);
    }

    /** Whether the handshake completed and records flow. */
    public boolean isActive() {
        return active;
    }

    /** Whether the channel failed (or its handshake did). */
    boolean isFailed() {
        return failed;
    }

    /** Whether records may be sent: active, not failed, no close alert sent. */
    boolean canSend() {
        return active && !failed && !closeNotifySent;
    }

    /** The context's settings. */
    ChannelSettings settings() {
        return settings;
    }

    /** The session, once active. */
    public SecureSession session() {
        return session;
    }

    /**
     * Takes over the secrets of a completed handshake and starts protecting records. Called by the
     * handshake handler on the event loop.
     */
    public SecureSession activate(Established est) {
        int keyLength = est.suite.keyLengthBytes();
        return activate(est, new RecordWriter(keyLength), new RecordReader(keyLength));
    }

    /**
     * As {@link #activate(Established)}, with the handshake's own writer and reader (keys of the
     * session's suite), which this takes over: installing the session's first keys (epoch 1) wipes
     * the handshake keys they held, as destroying them would, and spares each side two more JDK
     * ciphers and their key wipes per connection (docs/benchmarks.md, "Resumed handshakes: the
     * overhead trimmed").
     */
    SecureSession activate(Established est, RecordWriter writer, RecordReader reader) {
        peerId = est.peerId;
        PeerId localId = settings.handshake().identity().peerId();
        writer.install(1, est.sendTrafficSecret.copy());
        est.sendTrafficSecret.destroy();
        reader.install(1, est.receiveTrafficSecret.copy());
        est.receiveTrafficSecret.destroy();
        byte[] rekeyRoot = est.rekeyRoot.copy();
        est.rekeyRoot.destroy();
        ratchet =
                new Ratchet(
                        this, writer, reader, est.ratchetIntervalRecords, est.ratchetIntervalBytes);
        maxPlaintextIn = RecordFormat.maxPlaintext(settings.maxFrameLength());
        if (settings.recordDigest()) {
            digest = new RecordDigest(localId, peerId);
        }
        coalescer.activate(
                ratchet, digest, localId, RecordFormat.maxPlaintext(est.peerMaxFrameLength));
        session = new SessionImpl(ctx.channel(), this, est, Optional.ofNullable(digest));
        ctx.channel().attr(SecureSession.ATTRIBUTE).set(session);
        long now = now();
        rekey =
                new Rekey(
                        this,
                        ratchet,
                        settings,
                        est.role,
                        localId,
                        peerId,
                        est.suite.isHybrid(),
                        rekeyRoot,
                        now);
        keepAlive = new KeepAlive(this, settings, rekey, now);
        control = new ControlMessages(this, ratchet, rekey);
        active = true;
        keepAlive.start();
        return session;
    }

    /**
     * Called right after the completion event: the writes queued during the handshake are now
     * ordinary unflushed writes, sealed at the next flush; if the application flushed during the
     * handshake, that flush happens now.
     */
    public void drainPendingWrites() {
        if (flushPending) {
            flushPending = false;
            flush();
        }
    }

    /** The handshake failed: fail and release the queued writes. */
    public void handshakeFailed(Throwable cause) {
        handshakeFailure = cause;
        failed = true;
        failQueued(cause);
    }

    public void handlerRemoved() {
        cleanup();
    }

    Channel channel() {
        return ctx.channel();
    }

    EventExecutor executor() {
        return ctx.executor();
    }

    void fireUserEvent(Object event) {
        ctx.fireUserEventTriggered(event);
    }

    /** The event loop's ticker, so that tests drive time. */
    long now() {
        EventExecutor executor = ctx.executor();
        if (executor instanceof AbstractScheduledEventExecutor) {
            return ((AbstractScheduledEventExecutor) executor).ticker().nanoTime();
        }
        return System.nanoTime();
    }

    // ------------------------------------------------------------------ outbound

    public void write(Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new UnsupportedMessageTypeException(msg, ByteBuf.class));
            return;
        }
        ByteBuf buf = (ByteBuf) msg;
        if (!active) {
            if (failed) {
                buf.release();
                promise.setFailure(
                        handshakeFailure != null ? handshakeFailure : new ClosedChannelException());
                return;
            }
            if (coalescer.pendingBytes() + buf.readableBytes() > settings.maxPendingWriteBytes()) {
                buf.release();
                promise.setFailure(
                        new SecureChannelException(
                                ErrorCode.UNSUPPORTED_WRITE,
                                "more than "
                                        + settings.maxPendingWriteBytes()
                                        + " bytes written before the handshake completed"));
                return;
            }
            coalescer.queue(buf, promise);
            return;
        }
        if (failed || closeNotifySent) {
            buf.release();
            promise.setFailure(new ClosedChannelException());
            return;
        }
        ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        if (outbound != null
                && outbound.totalPendingWriteBytes() + buf.readableBytes()
                        > settings.maxOutboundBufferBytes()) {
            buf.release();
            SecureChannelException e =
                    new SecureChannelException(
                            ErrorCode.SLOW_CONSUMER,
                            "the peer does not read: outbound buffer over "
                                    + settings.maxOutboundBufferBytes()
                                    + " bytes");
            promise.setFailure(e);
            fail(e);
            return;
        }
        if (!buf.isReadable()) {
            buf.release();
            promise.trySuccess();
            return;
        }
        // Sealed at the next flush, together with the writes queued before it. The queue counts
        // toward the channel's pending outbound bytes, so writability and the SLOW_CONSUMER limit
        // see these bytes as they see sealed ones.
        coalescer.queue(buf, promise);
    }

    /** Fails and releases every queued write. */
    private void failQueued(Throwable cause) {
        failQueued(() -> cause);
    }

    private void failQueued(Supplier<? extends Throwable> cause) {
        if (coalescer != null) {
            coalescer.failAll(cause);
        }
    }

    public void flush() {
        if (!active && !failed) {
            flushPending = true;
            return;
        }
        coalescer.sealQueued();
        flushNow();
    }

    /** Flushes, then takes the key change a sealed record made due (now off the latency path). */
    void flushNow() {
        ctx.flush();
        if (ratchet != null && !failed) {
            ratchet.applySendRatchet();
        }
    }

    public void close(ChannelPromise promise) {
        if (active && !failed && !closeNotifySent && ctx.channel().isActive()) {
            // Writes made before close() go out before the close alert, flushed or not.
            coalescer.sealQueued();
        }
        if (active && !failed && !closeNotifySent && ctx.channel().isActive()) {
            closeNotifySent = true;
            closedLocally = true;
            ChannelFuture f = sendAlert(AlertCode.CLOSE_NOTIFY);
            ScheduledFuture<?> force =
                    ctx.executor()
                            .schedule(
                                    () -> {
                                        ctx.close(promise);
                                    },
                                    ChannelSettings.CLOSE_FLUSH_TIMEOUT.toMillis(),
                                    TimeUnit.MILLISECONDS);
            f.addListener(
                    (ChannelFutureListener)
                            future -> {
                                force.cancel(false);
                                ctx.close(promise);
                            });
            return;
        }
        ctx.close(promise);
    }

    // ------------------------------------------------------------------ inbound

    public void channelRead(Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf frame = (ByteBuf) msg;
        if (failed) {
            frame.release();
            return;
        }
        if (!active) {
            frame.release();
            fail(new RecordException(ErrorCode.UNEXPECTED_MESSAGE, "record before the handshake"));
            return;
        }
        if (!ratchet.applyReceiveRatchet()) {
            frame.release();
            return;
        }
        int type;
        ByteBuf plain;
        try {
            type = RecordReader.contentType(frame);
            if (type != ContentType.APPLICATION_DATA
                    && type != ContentType.CONTROL
                    && type != ContentType.ALERT) {
                throw new RecordException(
                        ErrorCode.UNEXPECTED_MESSAGE,
                        "record of type " + ContentType.name(type) + " after the handshake");
            }
            // Frames come from FrameDecoder and belong to this handler: decrypt in place.
            plain = ratchet.reader().openInPlace(ctx.alloc(), frame);
        } catch (RecordException e) {
            fail(e);
            return;
        } finally {
            frame.release();
        }
        recordsReceived++;
        keepAlive.received(now());
        if (plain.readableBytes() > maxPlaintextIn) {
            plain.release();
            fail(new RecordException(ErrorCode.RECORD_OVERFLOW, "record plaintext too large"));
            return;
        }
        switch (type) {
            case ContentType.APPLICATION_DATA:
                onApplicationData(plain);
                break;
            case ContentType.CONTROL:
                control.onControl(plain);
                break;
            default:
                onAlert(plain);
                break;
        }
        if (!failed) {
            ratchet.applyReceiveRatchet();
        }
    }

    private void onApplicationData(ByteBuf plain) {
        int n = plain.readableBytes();
        if (n == 0) {
            plain.release();
            fail(new RecordException(ErrorCode.MALFORMED, "empty application record"));
            return;
        }
        bytesReceived += n;
        if (digest != null) {
            digest.add(peerId, plain.array(), plain.arrayOffset() + plain.readerIndex(), n);
        }
        if (!ratchet.afterReceive(Ratchet.After.NORMAL, null)) {
            plain.release();
            return;
        }
        ctx.fireChannelRead(plain);
    }

    private void onAlert(ByteBuf plain) {
        int n = plain.readableBytes();
        int code = n == 1 ? plain.getUnsignedByte(plain.readerIndex()) : -1;
        plain.release();
        if (n != 1) {
            fail(new RecordException(ErrorCode.MALFORMED, "alert of " + n + " bytes"));
            return;
        }
        AlertCode alert = AlertCode.fromWire(code);
        if (alert == AlertCode.CLOSE_NOTIFY) {
            closeNotifyReceived = true;
            log.debug("{} closed by peer {}", ctx.channel(), peerId.shortId());
            if (!closeNotifySent && ctx.channel().isActive()) {
                coalescer.sealQueued();
                closeNotifySent = true;
                sendAlert(AlertCode.CLOSE_NOTIFY).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
            return;
        }
        fail(new PeerAlertException(alert));
    }

    // ------------------------------------------------------------------ sending records

    /**
     * Bookkeeping after each sent record other than an alert: counters, the keep-alive clock, the
     * key change the record makes ({@link Ratchet}), and the rekey's record interval.
     */
    void afterSend(Ratchet.After after) {
        recordsSent++;
        keepAlive.sent(now());
        ratchet.afterSend(after, after == Ratchet.After.REKEY ? rekey.takeSendSecret() : null);
        rekey.recordSent();
    }

    /** Seals and writes a control message; the caller flushes. */
    ChannelFuture sendControl(byte[] message, Ratchet.After after) {
        if (!ratchet.applySendRatchet()) {
            return ctx.newFailedFuture(new ClosedChannelException());
        }
        ByteBuf frame = ratchet.writer().seal(ctx.alloc(), ContentType.CONTROL, message);
        ChannelFuture f = ctx.write(frame);
        afterSend(after);
        return f;
    }

    private ChannelFuture sendAlert(AlertCode code) {
        if (!ratchet.applySendRatchet()) {
            return ctx.newFailedFuture(new ClosedChannelException());
        }
        ByteBuf frame =
                ratchet.writer()
                        .seal(ctx.alloc(), ContentType.ALERT, new byte[] {(byte) code.wireValue()});
        ChannelFuture f = ctx.writeAndFlush(frame);
        recordsSent++;
        return f;
    }

    /** Explicit key update requested through the session. */
    void rotateNow(boolean requestPeer, Promise<Void> promise) {
        if (!canSend()) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        ratchet.rotateNow(requestPeer, promise);
    }

    /** Explicit rekey requested through the session. */
    void rekeyNow(Promise<Void> promise) {
        if (!canSend()) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        rekey.rekeyNow(promise);
    }

    // ------------------------------------------------------------------ failure and close

    /** Fails the channel: records the reason, sends the coarse alert if possible, closes. */
    public void fail(Throwable cause) {
        if (failCalled) {
            return;
        }
        failCalled = true;
        boolean wasActive = active;
        failed = true;
        ErrorCode code = ErrorCode.of(cause);
        closeReason = code == null ? ErrorCode.INTERNAL_ERROR : code;
        closedLocally = !(cause instanceof PeerAlertException);
        if (cause instanceof ErrorCoded) {
            log.debug("{} failed: {}", ctx.channel(), cause.getMessage());
        } else if (cause instanceof IOException) {
            log.trace("{} I/O failure", ctx.channel(), cause);
        } else {
            log.debug("{} failed", ctx.channel(), cause);
        }
        boolean alert =
                wasActive
                        && closedLocally
                        && !closeNotifySent
                        && !(cause instanceof IOException)
                        && ratchet != null
                        && ratchet.writer().hasKey()
                        && ctx.channel().isActive();
        failQueued(cause);
        // Flush the alert first, tell the application, then close once the alert is out: once
        // closed, the pipeline may be torn down before the application hears why.
        ChannelFuture alertWrite = null;
        if (alert) {
            closeNotifySent = true;
            alertWrite = sendAlert(closeReason.alert());
        }
        ctx.fireExceptionCaught(cause);
        if (alertWrite != null) {
            // Close once the alert is out, but never wait on it for long: a peer that does not
            // read (SLOW_CONSUMER) would otherwise keep the channel open forever.
            ScheduledFuture<?> force =
                    ctx.executor()
                            .schedule(
                                    () -> {
                                        ctx.close();
                                    },
                                    ChannelSettings.CLOSE_FLUSH_TIMEOUT.toMillis(),
                                    TimeUnit.MILLISECONDS);
            alertWrite.addListener(
                    (ChannelFutureListener)
                            f -> {
                                force.cancel(false);
                                ctx.close();
                            });
        } else {
            ctx.close();
        }
    }

    public void exceptionCaught(Throwable cause) {
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        if (active
                && (cause instanceof ErrorCoded
                        || cause instanceof io.netty.handler.codec.DecoderException)) {
            fail(cause);
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    public void channelInactive() {
        if (active && !closeReported) {
            closeReported = true;
            ErrorCode reason;
            if (failed) {
                reason = closeReason;
            } else if (closeNotifyReceived || closeNotifySent) {
                reason = null;
            } else {
                reason = ErrorCode.TRUNCATED;
                log.debug("{} ended without an authenticated close", ctx.channel());
            }
            ctx.fireUserEventTriggered(
                    new SecureChannelClosedEvent(
                            reason, closedLocally && reason != ErrorCode.TRUNCATED));
        }
        cleanup();
    }

    /**
     * Stops the timers, wipes the keys, and fails what still waits (queued writes, a requested
     * rekey) with a {@link ClosedChannelException}, built only if something waits: filling in a
     * stack trace at every close, twice, was about 1 % of a resumed handshake's CPU
     * (docs/benchmarks.md, "Resumed handshakes: the overhead trimmed").
     */
    private void cleanup() {
        if (keepAlive != null) {
            keepAlive.stop();
        }
        failQueued(ClosedChannelException::new);
        if (ratchet != null) {
            ratchet.destroy();
        }
        if (rekey != null) {
            rekey.destroy(ClosedChannelException::new);
        }
        if (session != null) {
            session.destroy();
        }
    }

    /** A snapshot of the counters. */
    SessionStats stats() {
        Ratchet r = ratchet;
        Rekey k = rekey;
        WriteCoalescer c = coalescer;
        return new SessionStats(
                recordsSent,
                recordsReceived,
                c == null ? 0 : c.bytesSent(),
                bytesReceived,
                r == null ? 0 : r.writer().epoch(),
                r == null ? 0 : r.reader().epoch(),
                r == null ? 0 : r.keyChanges(),
                k == null ? 0 : k.rekeys());
    }

    /** The writer, for tests that inspect keys and sequence numbers. */
    public RecordWriter writerForTesting() {
        return ratchet == null ? null : ratchet.writer();
    }

    /** The reader, for tests that inspect keys and sequence numbers. */
    public RecordReader readerForTesting() {
        return ratchet == null ? null : ratchet.reader();
    }
}
