package io.p2pchat.channel;

import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.PeerId;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything a completed handshake hands to the record layer. Owns its secrets: the record layer
 * takes them over and destroys them.
 */
final class Established {
    public final Role role;
    public final int version;
    public final CipherSuite suite;
    public final Secret sendTrafficSecret;
    public final Secret receiveTrafficSecret;
    public final Secret exporterSecret;
    public final Secret rekeyRoot;
    public final PeerId peerId;
    public final RSAPublicKey peerPublicKey;
    public final byte[] peerCertificate;
    public final Optional<String> peerListenAddress;
    public final int ratchetIntervalRecords;
    public final long ratchetIntervalBytes;
    public final int peerMaxFrameLength;
    public final byte[] transcriptHash;

    /**
     * The network id the peer announced in its hello: ours on a bound channel, empty for an unbound
     * initiator, the responder's for a discovering initiator (docs/protocol.md §5.9).
     */
    public final byte[] peerNetworkId;

    /**
     * Whether both sides signed with delegated credentials (Ed25519, docs/protocol.md §5.10) rather
     * than their RSA identity keys.
     */
    public final boolean delegatedCredentials;

    /** The handshake's milestones; set by the handshake handler just before activation. */
    @Nullable HandshakeTimings timings;

    /** Whether the handshake resumed with a ticket's PSK (docs/protocol.md 5.11). */
    boolean resumed;

    /**
     * The session's resumption secret when a ticket follows the handshake (docs/protocol.md 5.11):
     * the responder issues one from it, the initiator derives the ticket's PSK from it. Null
     * otherwise, or once used.
     */
    @Nullable Secret resumptionSecret;

    Established(
            Role role,
            int version,
            CipherSuite suite,
            Secret sendTrafficSecret,
            Secret receiveTrafficSecret,
            Secret exporterSecret,
            Secret rekeyRoot,
            PeerId peerId,
            RSAPublicKey peerPublicKey,
            byte[] peerCertificate,
            Optional<String> peerListenAddress,
            int ratchetIntervalRecords,
            long ratchetIntervalBytes,
            int peerMaxFrameLength,
            byte[] transcriptHash,
            byte[] peerNetworkId,
            boolean delegatedCredentials) {
        this.role = role;
        this.version = version;
        this.suite = suite;
        this.sendTrafficSecret = sendTrafficSecret;
        this.receiveTrafficSecret = receiveTrafficSecret;
        this.exporterSecret = exporterSecret;
        this.rekeyRoot = rekeyRoot;
        this.peerId = peerId;
        this.peerPublicKey = peerPublicKey;
        this.peerCertificate = peerCertificate;
        this.peerListenAddress = peerListenAddress;
        this.ratchetIntervalRecords = ratchetIntervalRecords;
        this.ratchetIntervalBytes = ratchetIntervalBytes;
        this.peerMaxFrameLength = peerMaxFrameLength;
        this.transcriptHash = transcriptHash;
        this.peerNetworkId = peerNetworkId;
        this.delegatedCredentials = delegatedCredentials;
    }

    /** Destroys every secret; for handshakes abandoned after completion. */
    public void destroy() {
        sendTrafficSecret.destroy();
        receiveTrafficSecret.destroy();
        exporterSecret.destroy();
        rekeyRoot.destroy();
        if (resumptionSecret != null) {
            resumptionSecret.destroy();
        }
    }

    @Override
    public String toString() {
        return "Established[" + role + ", " + suite + ", peer=" + peerId.shortId() + "]";
    }
}
