package io.p2pchat.channel;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the handlers of one context share; built by {@link
 * io.p2pchat.channel.SecureChannelContext.Builder} and immutable except for the handshake counter.
 *
 * <p>Threading: shared by every channel of a context, so by several event loops and by the crypto
 * executor's threads (the handshake configuration, the verifier and the random source are used
 * there, or on the event loop for the steps that cannot block). Immutable; the one mutable member,
 * {@code activeHandshakes}, is an {@link AtomicInteger}, and {@link SecureRandom} is thread-safe.
 */
record ChannelSettings(
        HandshakeConfig handshake,
        PeerVerifier verifier,
        RotationPolicy rotation,
        Duration handshakeTimeout,
        Duration idleTimeout,
        Duration keepAliveInterval,
        int maxPendingWriteBytes,
        long maxOutboundBufferBytes,
        boolean recordDigest,
        int maxConcurrentHandshakes,
        AtomicInteger activeHandshakes,
        Executor cryptoExecutor,
        boolean offloadAllHandshakeWork,
        SecureRandom random) {

    /** Frames larger than this are refused while the handshake runs. */
    public static final int HANDSHAKE_FRAME_LIMIT =
            io.p2pchat.channel.HandshakeLimits.MAX_HANDSHAKE_MESSAGE + 21;

    /** Key updates and rekeys a peer may send in a burst. */
    public static final int KEY_UPDATE_BURST = 32;

    /** Sustained key updates and rekeys per second a peer may send. */
    public static final double KEY_UPDATE_RATE = 2.0;

    /** Control messages (pings, key updates, rekeys) a peer may send in a burst. */
    public static final int CONTROL_BURST = 256;

    /** Sustained control messages per second a peer may send. */
    public static final double CONTROL_RATE = 64.0;

    /**
     * Largest control message plaintext. The largest defined one, a hybrid {@code RekeyInit}, is
     * about 1.3 KB; anything much larger is padding (unknown fields) and is refused as {@code
     * MALFORMED} rather than parsed and acted on.
     */
    public static final int MAX_CONTROL_MESSAGE = 4096;

    /** How long a close waits for its close alert to flush. */
    public static final Duration CLOSE_FLUSH_TIMEOUT = Duration.ofSeconds(3);

    /** The local maximum frame length. */
    public int maxFrameLength() {
        return handshake.maxFrameLength();
    }
}
