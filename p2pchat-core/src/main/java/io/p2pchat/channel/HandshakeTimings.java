package io.p2pchat.channel;

import java.time.Duration;
import java.util.Objects;

/**
 * When this side reached each milestone of a completed handshake, as offsets from its start
 * (monotonic clock, {@link System#nanoTime()}); from {@link SecureSession#handshakeTimings()}.
 *
 * <p>The milestones, in the order they happen on either side (docs/protocol.md, "Handshake"):
 *
 * <ol>
 *   <li>start: the channel became active and the handshake began (offset zero);
 *   <li>{@link #helloReceived}: the peer's hello arrived (with ours, both hellos are known);
 *   <li>{@link #keyAgreed}: X25519 (and ML-KEM-768 on a hybrid suite) agreed and the handshake
 *       secrets derived;
 *   <li>{@link #authReceived}: the peer's authentication flight was taken up;
 *   <li>{@link #signatureVerified}: the peer's signature over the transcript and its Finished
 *       checked;
 *   <li>{@link #peerVerified}: the {@link PeerVerifier} accepted the peer (for a node, its key and
 *       certificate looked up in the ledger);
 *   <li>{@link #finished}: the session established.
 * </ol>
 *
 * <p>The offsets are wall time on this side, including network round trips and time queued for the
 * crypto executor; the phase methods ({@link #keyAgreement()}, ...) subtract neighbouring
 * milestones. The TCP connection before the start is the dialer's to measure. Immutable; every
 * offset is non-negative and each is at least the one before it.
 */
public record HandshakeTimings(
        Duration helloReceived,
        Duration keyAgreed,
        Duration authReceived,
        Duration signatureVerified,
        Duration peerVerified,
        Duration finished) {

    /**
     * Checks the offsets.
     *
     * @throws IllegalArgumentException if one is negative or earlier than the one before it
     */
    public HandshakeTimings {
        Duration previous = Duration.ZERO;
        for (Duration d :
                new Duration[] {
                    helloReceived,
                    keyAgreed,
                    authReceived,
                    signatureVerified,
                    peerVerified,
                    finished
                }) {
            Objects.requireNonNull(d, "offset");
            if (d.compareTo(previous) < 0) {
                throw new IllegalArgumentException("milestones out of order: " + d);
            }
            previous = d;
        }
    }

    /** From the start until the peer's hello arrived (for the initiator, one round trip). */
    public Duration hello() {
        return helloReceived;
    }

    /** The key agreement: from the peer's hello to the handshake secrets. */
    public Duration keyAgreement() {
        return keyAgreed.minus(helloReceived);
    }

    /** Checking the peer's signature and Finished. */
    public Duration signature() {
        return signatureVerified.minus(authReceived);
    }

    /** The {@link PeerVerifier}'s decision (a node's ledger lookup). */
    public Duration peerVerification() {
        return peerVerified.minus(signatureVerified);
    }

    /** From the start to the established session. */
    public Duration total() {
        return finished;
    }

    /**
     * Takes the milestones of one handshake. Package-private: the handshake handler marks each on
     * whichever thread reaches it (event loop or crypto executor); the hand-offs between them order
     * the writes before {@link #timings()}, which runs on the event loop. A milestone earlier than
     * the one before it (clocks of two cores) is taken as equal to it.
     */
    static final class Recorder {
        private long start;
        private long helloReceived;
        private long keyAgreed;
        private long authReceived;
        private long signatureVerified;
        private long peerVerified;

        void start() {
            start = System.nanoTime();
        }

        void helloReceived() {
            helloReceived = System.nanoTime();
        }

        void keyAgreed() {
            keyAgreed = System.nanoTime();
        }

        void authReceived() {
            authReceived = System.nanoTime();
        }

        void signatureVerified() {
            signatureVerified = System.nanoTime();
        }

        void peerVerified() {
            peerVerified = System.nanoTime();
        }

        /** The timings, the handshake finishing now. */
        HandshakeTimings timings() {
            long[] at = {
                helloReceived,
                keyAgreed,
                authReceived,
                signatureVerified,
                peerVerified,
                System.nanoTime()
            };
            Duration[] offsets = new Duration[at.length];
            long previous = 0;
            for (int i = 0; i < at.length; i++) {
                previous = Math.max(previous, at[i] - start);
                offsets[i] = Duration.ofNanos(previous);
            }
            return new HandshakeTimings(
                    offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5]);
        }
    }
}
