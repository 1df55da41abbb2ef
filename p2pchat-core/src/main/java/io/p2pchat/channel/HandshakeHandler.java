package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the p2pchat handshake on a channel, then hands the session to the {@link RecordCodec} and
 * removes itself.
 *
 * <h2>Message sequence</h2>
 *
 * <pre>
 * Initiator                                           Responder
 * HELLO{InitiatorHello: versions, suites, random,
 *       X25519 share, ML-KEM-768 key, listen address} ------>
 *               &lt;------ HELLO{ResponderHello: version, suite, random, X25519 share, ML-KEM ct}
 *               &lt;------ HANDSHAKE{AuthMessage: identity, signature, Finished}  (encrypted)
 * HANDSHAKE{AuthMessage: identity, signature, Finished} (encrypted) ------>
 * application records (both directions)
 * </pre>
 *
 * <p>The signature is RSA-PSS by the identity key, or Ed25519 by a delegated credential when both
 * hellos negotiate one (docs/protocol.md 5.10).
 *
 * <p>Steps that may take milliseconds or block (an RSA identity-key signature, a {@link
 * io.p2pchat.channel.PeerVerifier} not declared non-blocking, a {@link
 * io.p2pchat.channel.CertificateSource} without its certificate at hand; every step with {@code
 * offloadAllHandshakeWork}) run on the context's crypto executor, never on the event loop; frames
 * that arrive meanwhile are held, in bounded number, and processed in order afterwards. The other
 * steps (key agreement, Ed25519, Finished, verifications) run on the event loop, then hand over the
 * same way.
 *
 * <h2>Outcome</h2>
 *
 * Published twice: {@link #handshakeFuture()} and a {@link HandshakeCompletionEvent} fired through
 * the pipeline (before any application data of the session). On failure the peer receives a coarse
 * alert, the channel closes, and the future's cause carries the precise {@link ErrorCode}. The
 * handshake must finish within the configured timeout ({@link HandshakeTimeoutException}).
 *
 * <p>Created per channel by {@link io.p2pchat.channel.SecureChannelContext}; not sharable.
 *
 * <p>Size: over 600 lines because it is the one place where the handshake meets Netty: the bounded
 * queue of writes before completion, the records held after flight 3 until it verifies, the
 * timeout, and the hand-over to the crypto executor and back. The protocol itself lives in {@code
 * HandshakeProtocol} and the two role classes.
 */
public final class HandshakeHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);

    /**
     * Frames held while public-key work runs before the peer's last flight; a peer that sends more
     * before it has seen our flight is misbehaving.
     */
    private static final int MAX_HELD_FRAMES = 64;

    /**
     * Bytes held while the responder verifies the initiator's last flight. The initiator may send
     * application records right after that flight (docs/protocol.md 5.1), so they are held by size,
     * not count, while reads are paused: what is held is what one read had already delivered.
     */
    private static final int MAX_HELD_BYTES_AFTER_FINAL_FLIGHT = 1 << 20;

    private enum State {
        NEW,
        AWAIT_INITIATOR_HELLO,
        AWAIT_RESPONDER_HELLO,
        AWAIT_RESPONDER_AUTH,
        AWAIT_INITIATOR_AUTH,
        DONE,
        FAILED
    }

    private final ChannelSettings settings;
    private final Role role;
    private final RecordCodec recordCodec;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Promise<SecureSession> promise;
    private State state = State.NEW;
    private boolean working;
    private boolean slotAcquired;
    private boolean finalFlightReceived;
    private boolean readsPaused;
    private boolean inactivePending;
    private long heldBytes;
    private ScheduledFuture<?> timeout;
    private InitiatorHandshake initiator;
    private ResponderHandshake responder;
    private RecordWriter writer;
    private RecordReader reader;
    private final HandshakeTimings.Recorder timings = new HandshakeTimings.Recorder();

    /** Created by {@link io.p2pchat.channel.SecureChannelContext}. */
    HandshakeHandler(ChannelSettings settings, Role role, RecordCodec recordCodec) {
        this.settings = settings;
        this.role = role;
        this.recordCodec = recordCodec;
    }

    /** This side's role. */
    public Role role() {
        return role;
    }

    /**
     * Completes with the session when the handshake succeeds, or fails with a {@link
     * HandshakeException} (or the I/O failure that ended the channel).
     */
    public Future<SecureSession> handshakeFuture() {
        return promise;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.promise = ctx.executor().newPromise();
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (state != State.NEW) {
            return;
        }
        if (settings.activeHandshakes().incrementAndGet() > settings.maxConcurrentHandshakes()) {
            settings.activeHandshakes().decrementAndGet();
            fail(new HandshakeException(ErrorCode.BUSY, "too many handshakes in progress"));
            return;
        }
        slotAcquired = true;
        FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.setMaxFrameLength(ChannelSettings.HANDSHAKE_FRAME_LIMIT);
        }
        long millis = settings.handshakeTimeout().toMillis();
        timeout =
                ctx.executor()
                        .schedule(
                                () -> fail(new HandshakeTimeoutException(millis)),
                                millis,
                                TimeUnit.MILLISECONDS);
        timings.start();
        if (role == Role.INITIATOR) {
            ResumptionTickets tickets = settings.handshake().tickets();
            initiator =
                    new InitiatorHandshake(
                            settings.handshake(),
                            settings.random(),
                            tickets == null ? null : tickets.take(ctx.channel().remoteAddress()));
            state = State.AWAIT_RESPONDER_HELLO;
            offload(false, initiator::start, this::sendInitiatorHello);
        } else {
            responder = new ResponderHandshake(settings.handshake(), settings.random());
            state = State.AWAIT_INITIATOR_HELLO;
        }
    }

    // ------------------------------------------------------------------ inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.DONE) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!(msg instanceof ByteBuf)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            fail(new HandshakeException(ErrorCode.UNEXPECTED_MESSAGE, "not a frame"));
            return;
        }
        ByteBuf frame = (ByteBuf) msg;
        if (state == State.FAILED) {
            frame.release();
            return;
        }
        if (working || !held.isEmpty()) {
            boolean over =
                    finalFlightReceived
                            ? heldBytes + frame.readableBytes()
                                    > MAX_HELD_BYTES_AFTER_FINAL_FLIGHT + settings.maxFrameLength()
                            : held.size() >= MAX_HELD_FRAMES;
            if (over) {
                frame.release();
                fail(
                        new HandshakeException(
                                ErrorCode.RATE_LIMIT, "too many frames during the handshake"));
                return;
            }
            heldBytes += frame.readableBytes();
            held.add(frame);
            return;
        }
        try {
            process(frame);
        } catch (HandshakeException | RecordException e) {
            fail(e);
        } finally {
            frame.release();
        }
    }

    private void processHeld() {
        while (!working && state != State.FAILED && !held.isEmpty()) {
            ByteBuf frame = held.poll();
            heldBytes -= frame.readableBytes();
            if (state == State.DONE) {
                ctx.fireChannelRead(frame);
                continue;
            }
            try {
                process(frame);
            } catch (HandshakeException | RecordException e) {
                fail(e);
            } finally {
                frame.release();
            }
        }
    }

    private void process(ByteBuf frame) throws HandshakeException, RecordException {
        int type = RecordReader.contentType(frame);
        if (type == ContentType.ALERT) {
            onAlert(frame);
            return;
        }
        switch (state) {
            case AWAIT_INITIATOR_HELLO:
                {
                    byte[] hello = helloPayload(frame, type);
                    timings.helloReceived();
                    responder.onInitiatorHello(hello); // cheap checks before any public-key work
                    byte[] certificate = certificateAtHand(responder);
                    offload(
                            responder.signsWithIdentityKey() || certificate == null,
                            () -> {
                                responder.agree();
                                timings.keyAgreed();
                                return responder.buildAuth(orFetch(certificate));
                            },
                            this::sendResponderFlight);
                    break;
                }
            case AWAIT_RESPONDER_HELLO:
                {
                    if (initiator == null || writer != null || working) {
                        throw new HandshakeException(
                                ErrorCode.UNEXPECTED_MESSAGE, "hello too early");
                    }
                    byte[] hello = helloPayload(frame, type);
                    timings.helloReceived();
                    offload(
                            false,
                            () -> {
                                initiator.onResponderHello(hello);
                                timings.keyAgreed();
                                return null;
                            },
                            ignored ->
                                    installHandshakeKeys(
                                            initiator.suite().keyLengthBytes(),
                                            initiator.sendHandshakeSecret(),
                                            initiator.receiveHandshakeSecret(),
                                            State.AWAIT_RESPONDER_AUTH));
                    break;
                }
            case AWAIT_RESPONDER_AUTH:
                {
                    byte[] auth = authPayload(frame, type);
                    timings.authReceived();
                    Optional<SocketAddress> remote =
                            Optional.ofNullable(ctx.channel().remoteAddress());
                    byte[] certificate = certificateAtHand(initiator);
                    offload(
                            !settings.verifier().isNonBlocking()
                                    || initiator.signsWithIdentityKey()
                                    || certificate == null,
                            () -> {
                                initiator.onResponderAuth(auth);
                                timings.signatureVerified();
                                verifyPeer(initiator.peerCredentials(remote));
                                timings.peerVerified();
                                byte[] mine = initiator.buildAuth(orFetch(certificate));
                                return new FinalFlight(mine, initiator.established());
                            },
                            result -> {
                                FinalFlight flight = (FinalFlight) result;
                                ctx.write(
                                        writer.seal(
                                                ctx.alloc(), ContentType.HANDSHAKE, flight.auth()));
                                complete(flight.established());
                            });
                    break;
                }
            case AWAIT_INITIATOR_AUTH:
                {
                    byte[] auth = authPayload(frame, type);
                    timings.authReceived();
                    // This is the initiator's last flight: whatever follows is application data,
                    // which the initiator may send at once. Accept records of the session's size
                    // from now on, and let TCP push back while the flight is verified.
                    finalFlightReceived = true;
                    setFrameLimit(settings.maxFrameLength());
                    pauseReads();
                    Optional<SocketAddress> remote =
                            Optional.ofNullable(ctx.channel().remoteAddress());
                    offload(
                            !settings.verifier().isNonBlocking(),
                            () -> {
                                responder.onInitiatorAuth(auth);
                                timings.signatureVerified();
                                verifyPeer(responder.peerCredentials(remote));
                                timings.peerVerified();
                                return responder.established();
                            },
                            est -> complete((Established) est));
                    break;
                }
            default:
                throw new HandshakeException(
                        ErrorCode.UNEXPECTED_MESSAGE,
                        ContentType.name(type) + " in state " + state);
        }
    }

    /** The initiator's last flight and the session it completes. */
    private record FinalFlight(byte[] auth, Established established) {}

    /**
     * The certificate {@code side} presents, if it is at hand without blocking: none in a resumed
     * handshake, which carries no identity; null when the source must be asked off the event loop
     * ({@link #orFetch}). Known once the hellos are exchanged.
     */
    private byte @Nullable [] certificateAtHand(HandshakeProtocol side) {
        return side.resumed
                ? new byte[0]
                : settings.handshake().certificateSource().currentCertificateIfReady();
    }

    /** {@code atHand}, or the certificate source's answer (on the crypto executor). */
    private byte[] orFetch(byte @Nullable [] atHand) {
        return atHand != null
                ? atHand
                : settings.handshake().certificateSource().currentCertificate();
    }

    /** Runs the peer verifier; a rejection becomes an authentication failure with its code. */
    private void verifyPeer(PeerCredentials credentials) throws HandshakeException {
        try {
            settings.verifier().verify(credentials);
        } catch (PeerVerificationException e) {
            throw new HandshakeException(
                    e.errorCode(), HandshakeException.AUTHENTICATION_FAILED, e);
        } catch (RuntimeException e) {
            throw new HandshakeException(ErrorCode.INTERNAL_ERROR, "peer verifier failed", e);
        }
    }

    private byte[] helloPayload(ByteBuf frame, int type) throws HandshakeException {
        if (type != ContentType.HELLO) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE, "expected HELLO, got " + ContentType.name(type));
        }
        if (RecordReader.epochOf(frame) != 0) {
            throw new HandshakeException(ErrorCode.MALFORMED, "HELLO with a nonzero epoch");
        }
        int len = frame.readableBytes() - RecordFormat.HEADER_LENGTH;
        if (len > HandshakeLimits.MAX_HANDSHAKE_MESSAGE) {
            throw new HandshakeException(ErrorCode.MALFORMED, "handshake message too large");
        }
        return ByteBufUtil.getBytes(frame, frame.readerIndex() + RecordFormat.HEADER_LENGTH, len);
    }

    private byte[] authPayload(ByteBuf frame, int type) throws HandshakeException, RecordException {
        if (type != ContentType.HANDSHAKE) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE,
                    "expected HANDSHAKE, got " + ContentType.name(type));
        }
        ByteBuf plain = reader.open(ctx.alloc(), frame);
        try {
            return ByteBufUtil.getBytes(plain);
        } finally {
            plain.release();
        }
    }

    private void onAlert(ByteBuf frame) throws HandshakeException, RecordException {
        int fragment = frame.readableBytes() - RecordFormat.HEADER_LENGTH;
        int code;
        if (fragment == 1) {
            code = frame.getUnsignedByte(frame.readerIndex() + RecordFormat.HEADER_LENGTH);
        } else if (reader != null && reader.hasKey()) {
            ByteBuf plain = reader.open(ctx.alloc(), frame);
            try {
                if (plain.readableBytes() != 1) {
                    throw new HandshakeException(ErrorCode.MALFORMED, "malformed alert");
                }
                code = plain.getUnsignedByte(plain.readerIndex());
            } finally {
                plain.release();
            }
        } else {
            throw new HandshakeException(ErrorCode.MALFORMED, "malformed alert");
        }
        fail(new PeerAlertException(AlertCode.fromWire(code)));
    }

    // ------------------------------------------------------------------ steps

    private void sendInitiatorHello(Object hello) {
        ctx.writeAndFlush(
                RecordWriter.plaintextFrame(ctx.alloc(), ContentType.HELLO, (byte[]) hello));
    }

    private void sendResponderFlight(Object auth) {
        ctx.write(
                RecordWriter.plaintextFrame(
                        ctx.alloc(), ContentType.HELLO, responder.responderHello()));
        installHandshakeKeys(
                responder.suite().keyLengthBytes(),
                responder.sendHandshakeSecret(),
                responder.receiveHandshakeSecret(),
                State.AWAIT_INITIATOR_AUTH);
        ctx.writeAndFlush(writer.seal(ctx.alloc(), ContentType.HANDSHAKE, (byte[]) auth));
    }

    private void installHandshakeKeys(int keyLength, byte[] send, byte[] receive, State next) {
        writer = new RecordWriter(keyLength);
        writer.install(0, send);
        reader = new RecordReader(keyLength);
        reader.install(0, receive);
        state = next;
    }

    private void complete(Established est) {
        state = State.DONE;
        cancelTimeout();
        releaseSlot();
        setFrameLimit(settings.maxFrameLength());
        est.timings = timings.timings();
        byte[] newTicket =
                role == Role.RESPONDER && est.resumptionSecret != null
                        ? settings.handshake().tickets().issue(est, settings.random())
                        : null;
        // The handshake's writer and reader go on with the session's keys, whose installation
        // wipes the handshake keys (RecordCodecCore.activate).
        RecordWriter sessionWriter = writer;
        RecordReader sessionReader = reader;
        writer = null;
        reader = null;
        SecureSession session;
        try {
            session = recordCodec.activate(est, sessionWriter, sessionReader);
        } catch (RuntimeException e) {
            sessionWriter.destroy();
            sessionReader.destroy();
            throw e;
        }
        if (newTicket != null) {
            // Ahead of any application record: the initiator can resume from now on.
            recordCodec.core().sendControl(newTicket, Ratchet.After.NORMAL);
        }
        log.debug(
                "{} handshake complete: peer {} {}{}",
                ctx.channel(),
                session.peerId().shortId(),
                session.cipherSuite(),
                session.resumed() ? " (resumed)" : "");
        if (role == Role.INITIATOR) {
            // The last flight leaves before anything the application does on completion.
            ctx.flush();
        }
        promise.trySuccess(session);
        ctx.fireUserEventTriggered(HandshakeCompletionEvent.success(session));
        recordCodec.core().drainPendingWrites();
        // The responder's NewTicket leaves with whatever the application wrote on completion: one
        // write to the socket instead of two (docs/benchmarks.md, "Resumed handshakes: where the
        // time goes"). An application that closes at once loses only the ticket.
        ctx.flush();
        while (!held.isEmpty()) {
            ctx.fireChannelRead(held.poll());
        }
        heldBytes = 0;
        resumeReads();
        if (inactivePending) {
            // The peer's stream ended while its last flight was being verified: the data it sent
            // before the end has now been delivered, so the end can be reported after it.
            inactivePending = false;
            ctx.fireChannelInactive();
        }
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
    }

    private void setFrameLimit(int limit) {
        FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.setMaxFrameLength(limit);
        }
    }

    /** Stops reading from the socket (backpressure) while the last flight is verified. */
    private void pauseReads() {
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            readsPaused = true;
        }
    }

    private void resumeReads() {
        if (readsPaused) {
            readsPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ offloading

    @FunctionalInterface
    private interface Work {
        Object run() throws Exception;
    }

    @FunctionalInterface
    private interface Then {
        void accept(Object result) throws Exception;
    }

    /**
     * Runs {@code work} on the crypto executor when it {@code mayBlock} (or every step is to be
     * offloaded), else here on the event loop; then {@code then} as a later task of the event loop,
     * either way, so that the handler's state changes in one order whatever ran where.
     */
    private void offload(boolean mayBlock, Work work, Then then) {
        working = true;
        Runnable task =
                () -> {
                    if (!ctx.channel().isActive()) {
                        // The peer is gone (a flood of hellos that reset at once): spend no
                        // public-key work on it.
                        postBack(
                                null,
                                new HandshakeException(ErrorCode.TRUNCATED, "the peer left"),
                                then);
                        return;
                    }
                    Object result;
                    try {
                        result = work.run();
                    } catch (Throwable t) {
                        postBack(null, t, then);
                        return;
                    }
                    postBack(result, null, then);
                };
        if (!mayBlock && !settings.offloadAllHandshakeWork()) {
            task.run();
            return;
        }
        try {
            settings.cryptoExecutor().execute(task);
        } catch (RejectedExecutionException e) {
            working = false;
            fail(new HandshakeException(ErrorCode.BUSY, "crypto executor is saturated"));
        }
    }

    /** Hands a crypto result back to the event loop; if the loop is gone, wipes the result. */
    private void postBack(Object result, Throwable failure, Then then) {
        try {
            ctx.executor().execute(() -> afterWork(result, failure, then));
        } catch (RejectedExecutionException e) {
            // The event loop shut down (the application is closing): nobody will use the result.
            if (result instanceof Established) {
                ((Established) result).destroy();
            } else if (result instanceof FinalFlight) {
                ((FinalFlight) result).established().destroy();
            }
        }
    }

    private void afterWork(Object result, Throwable failure, Then then) {
        working = false;
        if (state == State.FAILED) {
            if (result instanceof Established) {
                ((Established) result).destroy();
            } else if (result instanceof FinalFlight) {
                ((FinalFlight) result).established().destroy();
            }
            return;
        }
        if (failure != null) {
            fail(failure);
            return;
        }
        try {
            then.accept(result);
        } catch (Throwable t) {
            fail(t);
            return;
        }
        processHeld();
    }

    // ------------------------------------------------------------------ failure

    /** Fails the handshake: alert, future, event, close. Safe to call more than once. */
    private void fail(Throwable cause) {
        if (state == State.DONE || state == State.FAILED) {
            return;
        }
        if (cause instanceof Error && !(cause instanceof OutOfMemoryError)) {
            log.error("{} handshake error", ctx.channel(), cause);
        }
        state = State.FAILED;
        cancelTimeout();
        releaseSlot();
        if (cause instanceof ErrorCoded) {
            log.debug("{} handshake failed: {}", ctx.channel(), cause.getMessage());
        } else {
            log.debug("{} handshake failed", ctx.channel(), cause);
        }
        boolean sendAlert =
                !(cause instanceof PeerAlertException)
                        && !(cause instanceof IOException)
                        && ctx.channel().isActive();
        ByteBuf alertFrame = null;
        if (sendAlert) {
            ErrorCode code = ErrorCode.of(cause);
            AlertCode alert = code == null ? AlertCode.INTERNAL_ERROR : code.alert();
            byte[] payload = {(byte) alert.wireValue()};
            alertFrame =
                    writer != null && writer.hasKey()
                            ? writer.seal(ctx.alloc(), ContentType.ALERT, payload)
                            : RecordWriter.plaintextFrame(ctx.alloc(), ContentType.ALERT, payload);
        }
        destroyHandshakeKeys();
        if (initiator != null) {
            initiator.destroy();
        }
        if (responder != null) {
            responder.destroy();
        }
        while (!held.isEmpty()) {
            held.poll().release();
        }
        heldBytes = 0;
        resumeReads();
        // Publish the outcome before closing: once closed, the pipeline may be torn down.
        recordCodec.core().handshakeFailed(cause);
        promise.tryFailure(cause);
        ctx.fireUserEventTriggered(HandshakeCompletionEvent.failure(cause));
        if (alertFrame != null) {
            ctx.writeAndFlush(alertFrame).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
        if (inactivePending) {
            inactivePending = false;
            ctx.fireChannelInactive();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.DONE) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        if (cause instanceof Error && !(cause instanceof OutOfMemoryError)) {
            fail(cause);
            throw (Error) cause;
        }
        fail(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state != State.DONE && state != State.FAILED && working && finalFlightReceived) {
            // The initiator's last flight and possibly data and its close arrived before we
            // finished verifying the flight: report the end after the outcome (see complete()),
            // so that nothing the peer sent before its end is lost.
            inactivePending = true;
            return;
        }
        if (state != State.DONE) {
            fail(
                    new HandshakeException(
                            ErrorCode.TRUNCATED, "connection closed during the handshake"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (state != State.DONE && state != State.FAILED) {
            state = State.FAILED;
            cancelTimeout();
            releaseSlot();
            resumeReads();
            if (initiator != null) {
                initiator.destroy();
            }
            if (responder != null) {
                responder.destroy();
            }
            promise.tryFailure(
                    new HandshakeException(ErrorCode.INTERNAL_ERROR, "handshake handler removed"));
        }
        destroyHandshakeKeys();
        while (!held.isEmpty()) {
            held.poll().release();
        }
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private void releaseSlot() {
        if (slotAcquired) {
            slotAcquired = false;
            settings.activeHandshakes().decrementAndGet();
        }
    }

    private void destroyHandshakeKeys() {
        if (writer != null) {
            writer.destroy();
        }
        if (reader != null) {
            reader.destroy();
        }
    }

    @Override
    public String toString() {
        return "HandshakeHandler[" + role + ", " + state + "]";
    }
}
