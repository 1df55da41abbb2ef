package io.p2pchat.channel;

import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.PeerId;
import java.security.interfaces.RSAPublicKey;

/**
 * One resumption ticket (docs/protocol.md 5.11), as its issuer (the responder) keeps it in its
 * cache or as its holder (the initiator) keeps it to resume with: the ticket id, the PSK, and what
 * the full handshake authenticated about the peer, which a resumed handshake takes over and
 * verifies again.
 *
 * <p>Owns its PSK: whoever removes a ticket from a {@link ResumptionTickets} store either hands it
 * to a handshake, which {@linkplain #destroy() destroys} it when the handshake ends, or destroys it
 * at once. Not thread-safe; a ticket belongs to one store or one handshake at a time.
 */
final class Ticket {
    private final byte[] id;
    private final byte[] psk;
    private final PeerId peerId;
    private final RSAPublicKey peerKey;
    private final byte[] peerCertificate;
    private final CipherSuite suite;
    private final byte[] networkId;
    private final long expiresAtMillis;

    /** Takes ownership of {@code psk}; copies the other arrays. */
    Ticket(
            byte[] id,
            byte[] psk,
            PeerId peerId,
            RSAPublicKey peerKey,
            byte[] peerCertificate,
            CipherSuite suite,
            byte[] networkId,
            long expiresAtMillis) {
        this.id = id.clone();
        this.psk = psk;
        this.peerId = peerId;
        this.peerKey = peerKey;
        this.peerCertificate = peerCertificate.clone();
        this.suite = suite;
        this.networkId = networkId.clone();
        this.expiresAtMillis = expiresAtMillis;
    }

    /** The ticket id, the {@code psk_identity} of a resumed hello (a copy). */
    byte[] id() {
        return id.clone();
    }

    /** The PSK (a copy the caller must wipe). */
    byte[] psk() {
        return psk.clone();
    }

    /** The peer the ticket's session authenticated. */
    PeerId peerId() {
        return peerId;
    }

    /** The peer's RSA identity key. */
    RSAPublicKey peerKey() {
        return peerKey;
    }

    /** The credential the peer presented in the full handshake (a copy). */
    byte[] peerCertificate() {
        return peerCertificate.clone();
    }

    /** The suite of the session the ticket came from; a resumption must use the same. */
    CipherSuite suite() {
        return suite;
    }

    /** The network id the peer announced in that session (a copy). */
    byte[] networkId() {
        return networkId.clone();
    }

    /** When the ticket expires, in epoch milliseconds of the store's clock. */
    long expiresAtMillis() {
        return expiresAtMillis;
    }

    /** Whether the ticket is past its lifetime at {@code nowMillis}. */
    boolean expired(long nowMillis) {
        return nowMillis >= expiresAtMillis;
    }

    /** Wipes the PSK; safe to call more than once. */
    void destroy() {
        Secret.wipe(psk);
    }

    @Override
    public String toString() {
        return "Ticket[peer=" + peerId.shortId() + ", " + suite + "]";
    }
}
