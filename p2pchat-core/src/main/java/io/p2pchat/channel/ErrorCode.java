package io.p2pchat.channel;

import io.netty.handler.codec.DecoderException;
import org.jspecify.annotations.Nullable;

/**
 * Why a channel, handshake or record was rejected, as precisely as the local side knows it.
 *
 * <p>Every failure that p2pchat raises carries one of these codes (see {@link ErrorCoded}); tests
 * assert the exact code. The peer is only told the coarser {@link #alert()} so that the alert it
 * receives is no oracle. Codes are listed in {@code docs/protocol.md}, section "Errors".
 */
public enum ErrorCode {
    // --- framing and decoding ---
    /** A frame's declared length exceeds the configured maximum. Raised as soon as it is read. */
    FRAME_TOO_LARGE(AlertCode.RESOURCE_LIMIT),
    /** Content that does not decode: a zero-length frame, bad Protobuf, a field of wrong size. */
    MALFORMED(AlertCode.PROTOCOL_ERROR),
    /** The connection ended without an authenticated close, possibly mid-record. */
    TRUNCATED(AlertCode.PROTOCOL_ERROR),
    /** A message that is not allowed in the current state, or of an unknown type. */
    UNEXPECTED_MESSAGE(AlertCode.PROTOCOL_ERROR),
    /** A decrypted record whose plaintext is larger than the negotiated maximum. */
    RECORD_OVERFLOW(AlertCode.PROTOCOL_ERROR),

    // --- negotiation and policy ---
    /** No protocol version in common. */
    UNSUPPORTED_VERSION(AlertCode.POLICY),
    /** No cipher suite in common. */
    NO_COMMON_SUITE(AlertCode.POLICY),
    /** Local policy requires the hybrid post-quantum key agreement and the peer offered none. */
    POLICY_PQ_REQUIRED(AlertCode.POLICY),
    /** Local policy requires AES-256-GCM and the peer offered none. */
    POLICY_AES256_REQUIRED(AlertCode.POLICY),
    /** The peer belongs to another ledger network (another genesis block). */
    WRONG_NETWORK(AlertCode.POLICY),

    // --- handshake authentication ---
    /** An ephemeral share is malformed, of small order, or gives an all-zero secret. */
    BAD_KEY_SHARE(AlertCode.AUTH_FAILED),
    /** The peer's identity key is not an RSA key of an accepted size. */
    BAD_KEY_SIZE(AlertCode.AUTH_FAILED),
    /** The transcript signature does not verify under the presented identity key. */
    BAD_SIGNATURE(AlertCode.AUTH_FAILED),
    /** The Finished MAC does not verify. */
    BAD_FINISHED(AlertCode.AUTH_FAILED),
    /** The peer presented our own identity, or echoed our own messages. */
    REFLECTION_DETECTED(AlertCode.AUTH_FAILED),
    /**
     * A delegated credential that is malformed, valid for more than 7 days, not signed by the
     * identity key, or missing although negotiated (docs/protocol.md 5.10).
     */
    BAD_CREDENTIAL(AlertCode.AUTH_FAILED),
    /** A delegated credential outside its validity at this side's clock (expired or not yet). */
    CREDENTIAL_EXPIRED(AlertCode.AUTH_FAILED),

    // --- peer verification (PeerVerifier) ---
    /** The verifier knows no identity for this peer. */
    UNKNOWN_IDENTITY(AlertCode.AUTH_FAILED),
    /** The presented key is not the key the verifier holds for this identity. */
    IDENTITY_KEY_MISMATCH(AlertCode.AUTH_FAILED),
    /** Trust on first use: this peer presented a different key before. */
    KEY_CHANGED(AlertCode.AUTH_FAILED),
    /** A peer id that is not SHA-256 of the public key it comes with. */
    ID_KEY_MISMATCH(AlertCode.AUTH_FAILED),
    /** The identity was revoked. */
    IDENTITY_REVOKED(AlertCode.AUTH_FAILED),
    /** The identity's block has fewer confirmations than required. */
    INSUFFICIENT_CONFIRMATIONS(AlertCode.AUTH_FAILED),
    /** The identity's block is not on the verifier's best chain. */
    NOT_ON_BEST_CHAIN(AlertCode.AUTH_FAILED),
    /** The Merkle inclusion proof does not lead to the block's root. */
    BAD_INCLUSION_PROOF(AlertCode.AUTH_FAILED),
    /** Address binding is on and the connection does not come from a registered address. */
    ADDRESS_NOT_BOUND(AlertCode.AUTH_FAILED),
    /** The certificate could not be checked: malformed, or of an unknown kind. */
    BAD_CERTIFICATE(AlertCode.AUTH_FAILED),

    // --- established channel ---
    /** A record failed authentication (AES-GCM tag): tampered, replayed, reordered or dropped. */
    BAD_RECORD_MAC(AlertCode.AUTH_FAILED),
    /** A record carries a key epoch other than the one expected next. */
    WRONG_EPOCH(AlertCode.AUTH_FAILED),
    /** A rekey flight names another identity than the one authenticated in the handshake. */
    IDENTITY_CHANGED(AlertCode.AUTH_FAILED),
    /** The key epoch counter would wrap. */
    KEY_EXHAUSTED(AlertCode.RESOURCE_LIMIT),
    /** Key updates or rekeys arrive faster than the limit. */
    TOO_MANY_KEY_UPDATES(AlertCode.RESOURCE_LIMIT),
    /** Messages of one kind arrive faster than the limit. */
    RATE_LIMIT(AlertCode.RESOURCE_LIMIT),
    /** The outbound buffer stayed above its limit because the peer does not read. */
    SLOW_CONSUMER(AlertCode.RESOURCE_LIMIT),
    /** Too many handshakes are in progress; try later. */
    BUSY(AlertCode.RESOURCE_LIMIT),

    // --- time ---
    /** The handshake did not finish in time. */
    HANDSHAKE_TIMEOUT(AlertCode.TIMEOUT),
    /** Nothing arrived from the peer for longer than the idle timeout. */
    IDLE_TIMEOUT(AlertCode.TIMEOUT),

    // --- other ---
    /** The peer closed the channel with an error alert. */
    PEER_ALERT(AlertCode.PROTOCOL_ERROR),
    /** The application wrote something the channel cannot send, or wrote too early. */
    UNSUPPORTED_WRITE(AlertCode.INTERNAL_ERROR),
    /** A local failure, such as a provider error. */
    INTERNAL_ERROR(AlertCode.INTERNAL_ERROR);

    private final AlertCode alert;

    ErrorCode(AlertCode alert) {
        this.alert = alert;
    }

    /** The coarse code sent to the peer when a channel closes for this reason. */
    public AlertCode alert() {
        return alert;
    }

    /**
     * Finds the code of a failure: the code of the first {@link ErrorCoded} in the cause chain.
     *
     * @return the code, or {@code null} when no exception in the chain carries one
     */
    public static @Nullable ErrorCode of(@Nullable Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++) {
            if (t instanceof ErrorCoded) {
                return ((ErrorCoded) t).errorCode();
            }
            if (t instanceof DecoderException && t.getCause() == null) {
                return MALFORMED;
            }
            t = t.getCause();
        }
        return null;
    }
}
