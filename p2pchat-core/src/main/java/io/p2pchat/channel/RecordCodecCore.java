package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.MlKem768;
import io.p2pchat.crypto.Secret;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.crypto.X25519;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.KeyUpdate;
import io.p2pchat.proto.Ping;
import io.p2pchat.proto.Pong;
import io.p2pchat.proto.RekeyConfirm;
import io.p2pchat.proto.RekeyInit;
import io.p2pchat.proto.RekeyResponse;
import io.p2pchat.util.TokenBucket;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.security.InvalidKeyException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of an established channel behind {@link io.p2pchat.channel.RecordCodec}: record
 * protection, the symmetric ratchet, key updates, in-channel rekeys, keep-alives, idle timeout,
 * close and failure.
 *
 * <p>Every method runs on the channel's event loop.
 */
final class RecordCodecCore {
    private static final Logger log = LoggerFactory.getLogger(RecordCodecCore.class);

    /** What a record changes about its direction's key after it. */
    private enum After {
        NORMAL,
        KEY_UPDATE,
        REKEY
    }

    private enum RekeyState {
        NONE,
        INIT_SENT,
        AWAIT_CONFIRM
    }

    private final ChannelSettings settings;
    private ChannelHandlerContext ctx;

    /**
     * Application writes not yet sealed: those made during the handshake, then those made since the
     * last flush. Counted in the channel's pending outbound bytes (writability).
     */
    private PendingWriteQueue pendingWrites;

    /** Readable bytes of the queued writes. */
    private long queuedBytes;

    /** The records of the head write, when it spans several; null otherwise. */
    private PromiseCombiner spanning;

    private boolean flushPending;

    /**
     * The ratchet a sent record made due, taken before the next record is sealed or after the
     * flush, so that it is never on the path between a write and the wire.
     */
    private boolean sendRatchetPending;

    /**
     * The ratchet a received record made due, taken after the record was handed on (or before the
     * next one is opened), so that it is never between a record's arrival and the application.
     */
    private boolean receiveRatchetPending;

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
    private Role role;
    private PeerId localId;
    private PeerId peerId;
    private boolean hybrid;
    private RecordWriter writer;
    private RecordReader reader;
    private long ratchetRecords;
    private long ratchetBytes;
    private int maxPlaintextOut;
    private int maxPlaintextIn;
    private RecordDigest digest;

    private RekeyState rekeyState = RekeyState.NONE;
    private X25519.KeyPair rekeyX25519;
    private MlKem768.KeyPair rekeyKem;
    private byte[] rekeyInitBytes;
    private byte[] rekeyRoot;
    private byte[] pendingSendSecret;
    private byte[] pendingReceiveSecret;
    private Promise<Void> rekeyPromise;
    private long recordsSinceRekey;
    private long lastRekeyNanos;

    private final TokenBucket keyUpdateBucket =
            new TokenBucket(ChannelSettings.KEY_UPDATE_BURST, ChannelSettings.KEY_UPDATE_RATE);
    private final TokenBucket controlBucket =
            new TokenBucket(ChannelSettings.CONTROL_BURST, ChannelSettings.CONTROL_RATE);
    private long lastReadNanos;
    private long lastWriteNanos;
    private ScheduledFuture<?> timer;

    private volatile long recordsSent;
    private volatile long recordsReceived;
    private volatile long bytesSent;
    private volatile long bytesReceived;
    private volatile long keyChanges;
    private volatile long rekeys;

    public RecordCodecCore(ChannelSettings settings) {
        this.settings = settings;
    }

    // ------------------------------------------------------------------ lifecycle

    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pendingWrites = new PendingWriteQueue(ctx);
    }

    /** Whether the handshake completed and records flow. */
    public boolean isActive() {
        return active;
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
        role = est.role;
        peerId = est.peerId;
        localId = settings.handshake().identity().peerId();
        hybrid = est.suite.isHybrid();
        int keyLength = est.suite.keyLengthBytes();
        writer = new RecordWriter(keyLength);
        writer.install(1, est.sendTrafficSecret.copy());
        est.sendTrafficSecret.destroy();
        reader = new RecordReader(keyLength);
        reader.install(1, est.receiveTrafficSecret.copy());
        est.receiveTrafficSecret.destroy();
        rekeyRoot = est.rekeyRoot.copy();
        est.rekeyRoot.destroy();
        ratchetRecords = est.ratchetIntervalRecords;
        ratchetBytes = est.ratchetIntervalBytes;
        maxPlaintextOut = RecordFormat.maxPlaintext(est.peerMaxFrameLength);
        maxPlaintextIn = RecordFormat.maxPlaintext(settings.maxFrameLength());
        if (settings.recordDigest()) {
            digest = new RecordDigest(localId, peerId);
        }
        session = new SessionImpl(ctx.channel(), this, est, Optional.ofNullable(digest));
        ctx.channel().attr(SecureSession.ATTRIBUTE).set(session);
        long now = now();
        lastReadNanos = now;
        lastWriteNanos = now;
        lastRekeyNanos = now;
        active = true;
        scheduleTimer();
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
        cleanup(new ClosedChannelException());
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
            if (pendingWrites.bytes() + buf.readableBytes() > settings.maxPendingWriteBytes()) {
                buf.release();
                promise.setFailure(
                        new SecureChannelException(
                                ErrorCode.UNSUPPORTED_WRITE,
                                "more than "
                                        + settings.maxPendingWriteBytes()
                                        + " bytes written before the handshake completed"));
                return;
            }
            queue(buf, promise);
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
        queue(buf, promise);
    }

    private void queue(ByteBuf buf, ChannelPromise promise) {
        queuedBytes += buf.readableBytes();
        pendingWrites.add(buf, promise);
    }

    /**
     * Seals the queued application writes into as few records as they fit in, in order: each record
     * carries up to the peer's record limit, taken from as many writes as needed; a write larger
     * than a record, or one that straddles two, spans several records. A write's promise completes
     * when every record holding its bytes is written. A record that is exactly one write is sealed
     * straight from the write's buffer (no staging copy for heap buffers); records that gather
     * several writes are assembled in the frame and encrypted in place.
     */
    private void sealQueued() {
        while (active && !failed && !closeNotifySent && !pendingWrites.isEmpty()) {
            ByteBuf head = (ByteBuf) pendingWrites.current();
            int headBytes = head.readableBytes();
            if (headBytes == 0) {
                // Only an empty write queued during the handshake gets here.
                completeHead();
                continue;
            }
            if (headBytes >= maxPlaintextOut || pendingWrites.size() == 1) {
                sealFromHead(head, Math.min(headBytes, maxPlaintextOut));
            } else {
                sealGathered((int) Math.min(queuedBytes, maxPlaintextOut));
            }
        }
    }

    /** One record from the head write alone. */
    private void sealFromHead(ByteBuf head, int len) {
        if (!applySendRatchet()) {
            return;
        }
        if (digest != null) {
            digest.add(localId, ByteBufUtil.getBytes(head, head.readerIndex(), len, false), 0, len);
        }
        ByteBuf frame = writer.seal(ctx.alloc(), ContentType.APPLICATION_DATA, head, len);
        queuedBytes -= len;
        bytesSent += len;
        if (!head.isReadable() && spanning == null) {
            // The common case: this record is exactly this write.
            ctx.write(frame, pendingWrites.remove());
        } else {
            ChannelPromise record = ctx.newPromise();
            ctx.write(frame, record);
            if (spanning == null) {
                spanning = new PromiseCombiner(ctx.executor());
            }
            spanning.add((io.netty.util.concurrent.Future<?>) record);
            if (!head.isReadable()) {
                completeHead();
            }
        }
        afterSend(After.NORMAL);
    }

    /** One record of {@code len} bytes gathered from the head writes. */
    private void sealGathered(int len) {
        if (!applySendRatchet()) {
            return;
        }
        ByteBuf frame = writer.newFrame(ctx.alloc(), len);
        ChannelPromise record = ctx.newPromise();
        ChannelPromise single = null;
        java.util.List<ChannelPromise> ended = null;
        int filled = 0;
        while (filled < len) {
            ByteBuf head = (ByteBuf) pendingWrites.current();
            int take = Math.min(head.readableBytes(), len - filled);
            frame.writeBytes(head, head.readerIndex(), take);
            head.skipBytes(take);
            filled += take;
            if (head.isReadable()) {
                // The write goes on in the next record.
                if (spanning == null) {
                    spanning = new PromiseCombiner(ctx.executor());
                }
                spanning.add((io.netty.util.concurrent.Future<?>) record);
            } else if (spanning != null) {
                spanning.add((io.netty.util.concurrent.Future<?>) record);
                completeHead();
            } else {
                ChannelPromise p = pendingWrites.remove();
                if (!p.isVoid()) {
                    if (single == null) {
                        single = p;
                    } else {
                        if (ended == null) {
                            ended = new java.util.ArrayList<>(4);
                            ended.add(single);
                        }
                        ended.add(p);
                    }
                }
            }
        }
        if (digest != null) {
            digest.add(
                    localId,
                    frame.array(),
                    frame.arrayOffset() + frame.readerIndex() + RecordFormat.HEADER_LENGTH,
                    len);
        }
        writer.sealFrame(frame, ContentType.APPLICATION_DATA);
        queuedBytes -= len;
        bytesSent += len;
        if (ended != null) {
            java.util.List<ChannelPromise> all = ended;
            record.addListener(f -> notifyAll(f, all));
        } else if (single != null) {
            ChannelPromise p = single;
            record.addListener(f -> notifyAll(f, java.util.List.of(p)));
        }
        ctx.write(frame, record);
        afterSend(After.NORMAL);
    }

    private static void notifyAll(
            io.netty.util.concurrent.Future<?> f, java.util.List<ChannelPromise> promises) {
        for (ChannelPromise p : promises) {
            if (f.isSuccess()) {
                p.trySuccess();
            } else {
                p.tryFailure(f.cause());
            }
        }
    }

    /**
     * Removes the fully sealed head write and completes its promise: through the records it spans,
     * or at once for an empty write.
     */
    private void completeHead() {
        ChannelPromise p = pendingWrites.remove();
        if (spanning != null) {
            PromiseCombiner c = spanning;
            spanning = null;
            c.finish(p);
        } else {
            p.trySuccess();
        }
    }

    /** Fails and releases every queued write. */
    private void failQueued(Throwable cause) {
        spanning = null;
        queuedBytes = 0;
        if (pendingWrites != null && !pendingWrites.isEmpty()) {
            pendingWrites.removeAndFailAll(cause);
        }
    }

    public void flush() {
        if (!active && !failed) {
            flushPending = true;
            return;
        }
        sealQueued();
        flushNow();
    }

    /** Flushes, then takes the key change a sealed record made due (now off the latency path). */
    private void flushNow() {
        ctx.flush();
        if (sendRatchetPending && !failed) {
            applySendRatchet();
        }
    }

    public void close(ChannelPromise promise) {
        if (active && !failed && !closeNotifySent && ctx.channel().isActive()) {
            // Writes made before close() go out before the close alert, flushed or not.
            sealQueued();
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
        if (!applyReceiveRatchet()) {
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
            plain = reader.openInPlace(ctx.alloc(), frame);
        } catch (RecordException e) {
            fail(e);
            return;
        } finally {
            frame.release();
        }
        recordsReceived++;
        lastReadNanos = now();
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
                onControl(plain);
                break;
            default:
                onAlert(plain);
                break;
        }
        if (receiveRatchetPending && !failed) {
            applyReceiveRatchet();
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
        if (!afterReceive(After.NORMAL, null)) {
            plain.release();
            return;
        }
        ctx.fireChannelRead(plain);
    }

    private void onControl(ByteBuf plain) {
        if (plain.readableBytes() > ChannelSettings.MAX_CONTROL_MESSAGE) {
            plain.release();
            fail(new RecordException(ErrorCode.MALFORMED, "oversized control message"));
            return;
        }
        byte[] bytes = ByteBufUtil.getBytes(plain);
        plain.release();
        ControlMessage message;
        try {
            message = ControlMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            fail(new RecordException(ErrorCode.MALFORMED, "undecodable control message"));
            return;
        }
        long now = now();
        if (!controlBucket.tryAcquire(now)) {
            fail(new RecordException(ErrorCode.RATE_LIMIT, "too many control messages"));
            return;
        }
        switch (message.getBodyCase()) {
            case KEY_UPDATE:
                if (!keyUpdateBucket.tryAcquire(now)) {
                    fail(
                            new RecordException(
                                    ErrorCode.TOO_MANY_KEY_UPDATES, "too many key updates"));
                    return;
                }
                if (afterReceive(After.KEY_UPDATE, null)
                        && message.getKeyUpdate().getUpdateRequested()) {
                    sendControl(
                            ControlMessage.newBuilder()
                                    .setKeyUpdate(KeyUpdate.newBuilder().setUpdateRequested(false))
                                    .build()
                                    .toByteArray(),
                            After.KEY_UPDATE);
                    flushNow();
                }
                break;
            case REKEY_INIT:
                if (!keyUpdateBucket.tryAcquire(now)) {
                    fail(new RecordException(ErrorCode.TOO_MANY_KEY_UPDATES, "too many rekeys"));
                    return;
                }
                onRekeyInit(bytes, message.getRekeyInit());
                break;
            case REKEY_RESPONSE:
                onRekeyResponse(bytes, message.getRekeyResponse());
                break;
            case REKEY_CONFIRM:
                onRekeyConfirm();
                break;
            case PING:
                if (afterReceive(After.NORMAL, null)) {
                    sendControl(
                            ControlMessage.newBuilder()
                                    .setPong(
                                            Pong.newBuilder()
                                                    .setNonce(message.getPing().getNonce()))
                                    .build()
                                    .toByteArray(),
                            After.NORMAL);
                    flushNow();
                }
                break;
            case PONG:
                afterReceive(After.NORMAL, null);
                break;
            default:
                fail(new RecordException(ErrorCode.UNEXPECTED_MESSAGE, "unknown control message"));
                break;
        }
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
                sealQueued();
                closeNotifySent = true;
                sendAlert(AlertCode.CLOSE_NOTIFY).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
            return;
        }
        fail(new PeerAlertException(alert));
    }

    // ------------------------------------------------------------------ key changes

    /**
     * Applies the key change that follows a received record. Returns false when the channel failed.
     */
    private boolean afterReceive(After after, byte[] rekeyedSecret) {
        if (after == After.NORMAL) {
            receiveRatchetPending = reader.ratchetDue(ratchetRecords, ratchetBytes);
            if (receiveRatchetPending && reader.epochExhausted()) {
                // Refused at once, as if the key had changed here; the record is not delivered.
                receiveRatchetPending = false;
                return changeReceiveKey(after, null);
            }
            // The ratchet itself waits until this record has been handed on.
            return true;
        }
        return changeReceiveKey(after, rekeyedSecret);
    }

    /** Takes a ratchet made due by a received record; returns false when the channel failed. */
    private boolean applyReceiveRatchet() {
        if (!receiveRatchetPending) {
            return true;
        }
        receiveRatchetPending = false;
        return changeReceiveKey(After.NORMAL, null);
    }

    private boolean changeReceiveKey(After after, byte[] rekeyedSecret) {
        if (reader.epochExhausted()) {
            fail(new RecordException(ErrorCode.KEY_EXHAUSTED, "receive epoch exhausted"));
            return false;
        }
        if (after == After.REKEY) {
            reader.install(reader.epoch() + 1, rekeyedSecret);
        } else {
            reader.ratchet();
        }
        keyChanged(KeyRotatedEvent.Direction.INBOUND, reader.epoch(), after);
        return true;
    }

    private void keyChanged(KeyRotatedEvent.Direction direction, long epoch, After after) {
        KeyRotatedEvent.Kind kind =
                after == After.REKEY
                        ? KeyRotatedEvent.Kind.REKEY
                        : after == After.KEY_UPDATE
                                ? KeyRotatedEvent.Kind.KEY_UPDATE
                                : KeyRotatedEvent.Kind.RATCHET;
        keyChanges++;
        ctx.fireUserEventTriggered(new KeyRotatedEvent(direction, epoch, kind));
    }

    /**
     * Applies the key change that follows a sent record: a key update or rekey at once, a ratchet
     * when the next record is sealed or after the flush ({@link #applySendRatchet}).
     */
    private void afterSend(After after) {
        recordsSent++;
        recordsSinceRekey++;
        lastWriteNanos = now();
        if (after == After.NORMAL) {
            sendRatchetPending = writer.ratchetDue(ratchetRecords, ratchetBytes);
            if (sendRatchetPending && writer.epochExhausted()) {
                sendRatchetPending = false;
                changeSendKey(after); // fails the channel, as at once
            }
        } else {
            changeSendKey(after);
        }
        RotationPolicy policy = settings.rotation();
        if (recordsSinceRekey >= policy.rekeyIntervalRecords() && rekeyState == RekeyState.NONE) {
            startRekey();
        }
    }

    /** Takes a ratchet made due by a sent record; returns false when the channel failed. */
    private boolean applySendRatchet() {
        if (!sendRatchetPending) {
            return true;
        }
        sendRatchetPending = false;
        return changeSendKey(After.NORMAL);
    }

    private boolean changeSendKey(After after) {
        if (writer.epochExhausted()) {
            fail(new RecordException(ErrorCode.KEY_EXHAUSTED, "send epoch exhausted"));
            return false;
        }
        if (after == After.REKEY) {
            writer.install(writer.epoch() + 1, pendingSendSecret);
            pendingSendSecret = null;
        } else {
            writer.ratchet();
        }
        keyChanged(KeyRotatedEvent.Direction.OUTBOUND, writer.epoch(), after);
        return true;
    }

    /** Explicit rotation requested through the session. */
    void rotateNow(boolean requestPeer, Promise<Void> promise) {
        if (!active || failed || closeNotifySent) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        ChannelFuture f =
                sendControl(
                        ControlMessage.newBuilder()
                                .setKeyUpdate(
                                        KeyUpdate.newBuilder().setUpdateRequested(requestPeer))
                                .build()
                                .toByteArray(),
                        After.KEY_UPDATE);
        flushNow();
        f.addListener(
                future -> {
                    if (future.isSuccess()) {
                        promise.trySuccess(null);
                    } else {
                        promise.tryFailure(future.cause());
                    }
                });
    }

    /** Explicit rekey requested through the session. */
    void rekeyNow(Promise<Void> promise) {
        if (!active || failed || closeNotifySent) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        if (rekeyPromise == null) {
            rekeyPromise = promise;
        } else {
            rekeyPromise.addListener(
                    f -> {
                        if (f.isSuccess()) {
                            promise.trySuccess(null);
                        } else {
                            promise.tryFailure(f.cause());
                        }
                    });
        }
        if (rekeyState == RekeyState.NONE) {
            startRekey();
        }
    }

    private void startRekey() {
        if (!active || failed || closeNotifySent || rekeyState != RekeyState.NONE) {
            return;
        }
        rekeyX25519 = X25519.generate(settings.random());
        RekeyInit.Builder init =
                RekeyInit.newBuilder()
                        .setX25519Share(ByteString.copyFrom(rekeyX25519.publicKey()))
                        .setSenderPeerId(ByteString.copyFrom(localId.toBytes()));
        if (hybrid) {
            rekeyKem = MlKem768.generate(settings.random());
            init.setMlkem768EncapsulationKey(ByteString.copyFrom(rekeyKem.encapsulationKey()));
        }
        rekeyInitBytes = ControlMessage.newBuilder().setRekeyInit(init).build().toByteArray();
        rekeyState = RekeyState.INIT_SENT;
        log.debug("{} starting rekey", ctx.channel());
        sendControl(rekeyInitBytes, After.NORMAL);
        flushNow();
    }

    private void onRekeyInit(byte[] bytes, RekeyInit init) {
        if (rekeyState == RekeyState.AWAIT_CONFIRM) {
            fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey while a rekey is unconfirmed"));
            return;
        }
        if (!checkRekeySender(init.getSenderPeerId())) {
            return;
        }
        if (rekeyState == RekeyState.INIT_SENT) {
            if (role == Role.INITIATOR) {
                // Both sides started a rekey; the handshake initiator's wins and the peer answers
                // it.
                afterReceive(After.NORMAL, null);
                return;
            }
            destroyRekeyEphemerals();
            rekeyState = RekeyState.NONE;
        }
        if (init.getX25519Share().size() != X25519.KEY_LENGTH
                || (hybrid
                        && init.getMlkem768EncapsulationKey().size()
                                != MlKem768.ENCAPSULATION_KEY_LENGTH)) {
            fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "malformed rekey share"));
            return;
        }
        if (!afterReceive(After.NORMAL, null)) {
            return;
        }
        X25519.KeyPair x = X25519.generate(settings.random());
        byte[] dh = null;
        byte[] kemSecret = null;
        RekeyResponse.Builder response =
                RekeyResponse.newBuilder()
                        .setX25519Share(ByteString.copyFrom(x.publicKey()))
                        .setSenderPeerId(ByteString.copyFrom(localId.toBytes()));
        try {
            dh = x.agree(init.getX25519Share().toByteArray());
            if (hybrid) {
                MlKem768.Encapsulation enc =
                        MlKem768.encapsulate(
                                init.getMlkem768EncapsulationKey().toByteArray(),
                                settings.random());
                kemSecret = enc.sharedSecret();
                response.setMlkem768Ciphertext(ByteString.copyFrom(enc.ciphertext()));
            }
        } catch (InvalidKeyException e) {
            Secret.wipe(dh);
            fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "rekey share rejected"));
            return;
        } finally {
            x.destroy();
        }
        byte[] responseBytes =
                ControlMessage.newBuilder().setRekeyResponse(response).build().toByteArray();
        deriveRekeyed(bytes, responseBytes, dh, kemSecret);
        rekeyState = RekeyState.AWAIT_CONFIRM;
        sendControl(responseBytes, After.REKEY);
        flushNow();
    }

    private void onRekeyResponse(byte[] bytes, RekeyResponse response) {
        if (rekeyState != RekeyState.INIT_SENT) {
            fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey response without a rekey"));
            return;
        }
        if (!checkRekeySender(response.getSenderPeerId())) {
            return;
        }
        byte[] dh;
        byte[] kemSecret = null;
        try {
            if (hybrid) {
                kemSecret = rekeyKem.decapsulate(response.getMlkem768Ciphertext().toByteArray());
            } else if (!response.getMlkem768Ciphertext().isEmpty()) {
                throw new InvalidKeyException("ML-KEM ciphertext in a classical suite");
            }
            dh = rekeyX25519.agree(response.getX25519Share().toByteArray());
        } catch (InvalidKeyException e) {
            Secret.wipe(kemSecret);
            fail(new RecordException(ErrorCode.BAD_KEY_SHARE, "rekey share rejected"));
            return;
        }
        destroyRekeyEphemerals();
        deriveRekeyed(rekeyInitBytes, bytes, dh, kemSecret);
        byte[] receive = pendingReceiveSecret;
        pendingReceiveSecret = null;
        if (!afterReceive(After.REKEY, receive)) {
            return;
        }
        rekeyState = RekeyState.NONE;
        sendControl(
                ControlMessage.newBuilder()
                        .setRekeyConfirm(RekeyConfirm.getDefaultInstance())
                        .build()
                        .toByteArray(),
                After.REKEY);
        flushNow();
        rekeyCompleted();
    }

    private void onRekeyConfirm() {
        if (rekeyState != RekeyState.AWAIT_CONFIRM) {
            fail(
                    new RecordException(
                            ErrorCode.UNEXPECTED_MESSAGE, "rekey confirm without a rekey"));
            return;
        }
        byte[] receive = pendingReceiveSecret;
        pendingReceiveSecret = null;
        if (!afterReceive(After.REKEY, receive)) {
            return;
        }
        rekeyState = RekeyState.NONE;
        rekeyCompleted();
    }

    private boolean checkRekeySender(ByteString sender) {
        if (!sender.equals(ByteString.copyFrom(peerId.toBytes()))) {
            fail(new RecordException(ErrorCode.IDENTITY_CHANGED, "rekey from another identity"));
            return false;
        }
        return true;
    }

    /** Derives the next rekey root and both new traffic secrets; consumes the shared secrets. */
    private void deriveRekeyed(
            byte[] initBytes, byte[] responseBytes, byte[] dh, byte[] kemSecret) {
        TranscriptHash hash = new TranscriptHash();
        hash.add(initBytes);
        hash.add(responseBytes);
        byte[] rekeyHash = hash.current();
        byte[] shared = kemSecret == null ? dh.clone() : concat(kemSecret, dh);
        Secret.wipe(dh, kemSecret);
        byte[] newRoot = KeySchedule.nextRekeyRoot(rekeyRoot, rekeyHash, shared);
        Secret.wipe(shared, rekeyRoot);
        rekeyRoot = newRoot;
        pendingSendSecret =
                KeySchedule.rekeyedTrafficSecret(newRoot, role == Role.INITIATOR, rekeyHash);
        pendingReceiveSecret =
                KeySchedule.rekeyedTrafficSecret(newRoot, role.peer() == Role.INITIATOR, rekeyHash);
    }

    private void rekeyCompleted() {
        rekeys++;
        recordsSinceRekey = 0;
        lastRekeyNanos = now();
        log.debug("{} rekeyed", ctx.channel());
        Promise<Void> p = rekeyPromise;
        rekeyPromise = null;
        if (p != null) {
            p.trySuccess(null);
        }
    }

    private void destroyRekeyEphemerals() {
        if (rekeyX25519 != null) {
            rekeyX25519.destroy();
            rekeyX25519 = null;
        }
        if (rekeyKem != null) {
            rekeyKem.destroy();
            rekeyKem = null;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ sending helpers

    private ChannelFuture sendControl(byte[] message, After after) {
        if (!applySendRatchet()) {
            return ctx.newFailedFuture(new ClosedChannelException());
        }
        ByteBuf frame = writer.seal(ctx.alloc(), ContentType.CONTROL, message);
        ChannelFuture f = ctx.write(frame);
        afterSend(after);
        return f;
    }

    private ChannelFuture sendAlert(AlertCode code) {
        if (!applySendRatchet()) {
            return ctx.newFailedFuture(new ClosedChannelException());
        }
        ByteBuf frame =
                writer.seal(ctx.alloc(), ContentType.ALERT, new byte[] {(byte) code.wireValue()});
        ChannelFuture f = ctx.writeAndFlush(frame);
        recordsSent++;
        return f;
    }

    // ------------------------------------------------------------------ timers

    private void scheduleTimer() {
        long period =
                Math.max(
                        10,
                        Math.min(
                                        settings.keepAliveInterval().toMillis(),
                                        settings.idleTimeout().toMillis())
                                / 4);
        timer =
                ctx.executor()
                        .scheduleAtFixedRate(this::onTimer, period, period, TimeUnit.MILLISECONDS);
    }

    private void onTimer() {
        if (!active || failed) {
            return;
        }
        long now = now();
        if (now - lastReadNanos >= settings.idleTimeout().toNanos()) {
            fail(
                    new RecordException(
                            ErrorCode.IDLE_TIMEOUT,
                            "nothing received for " + settings.idleTimeout().toMillis() + " ms"));
            return;
        }
        if (closeNotifySent) {
            return;
        }
        if (now - lastWriteNanos >= settings.keepAliveInterval().toNanos()) {
            sendControl(
                    ControlMessage.newBuilder()
                            .setPing(Ping.newBuilder().setNonce(now))
                            .build()
                            .toByteArray(),
                    After.NORMAL);
            flushNow();
        }
        java.time.Duration interval = settings.rotation().rekeyInterval();
        if (!interval.isZero()
                && rekeyState == RekeyState.NONE
                && now - lastRekeyNanos >= interval.toNanos()) {
            startRekey();
        }
    }

    private long now() {
        EventExecutor executor = ctx.executor();
        if (executor instanceof AbstractScheduledEventExecutor) {
            return ((AbstractScheduledEventExecutor) executor).ticker().nanoTime();
        }
        return System.nanoTime();
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
                        && writer != null
                        && writer.hasKey()
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
        cleanup(new ClosedChannelException());
    }

    private void cleanup(Throwable cause) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        failQueued(cause);
        if (writer != null) {
            writer.destroy();
        }
        if (reader != null) {
            reader.destroy();
        }
        destroyRekeyEphemerals();
        Secret.wipe(rekeyRoot, pendingSendSecret, pendingReceiveSecret);
        if (session != null) {
            session.destroy();
        }
        if (rekeyPromise != null) {
            rekeyPromise.tryFailure(cause);
            rekeyPromise = null;
        }
    }

    /** A snapshot of the counters. */
    SessionStats stats() {
        RecordWriter w = writer;
        RecordReader r = reader;
        return new SessionStats(
                recordsSent,
                recordsReceived,
                bytesSent,
                bytesReceived,
                w == null ? 0 : w.epoch(),
                r == null ? 0 : r.epoch(),
                keyChanges,
                rekeys);
    }

    /** The writer, for tests that inspect keys and sequence numbers. */
    public RecordWriter writerForTesting() {
        return writer;
    }

    /** The reader, for tests that inspect keys and sequence numbers. */
    public RecordReader readerForTesting() {
        return reader;
    }
}
