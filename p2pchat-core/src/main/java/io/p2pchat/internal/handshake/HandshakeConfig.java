package io.p2pchat.internal.handshake;

import io.p2pchat.CipherSuite;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.verify.CertificateSource;
import java.util.List;

/**
 * The handshake's view of the channel context: everything one handshake needs, immutable.
 *
 * @param identity this peer's identity
 * @param suites suites offered (initiator) or accepted (responder), most preferred first
 * @param requirePostQuantum refuse peers without a hybrid suite
 * @param requireAes256 refuse peers without an AES-256-GCM suite
 * @param networkId 32 bytes, or empty when no network is bound
 * @param listenAddress "host:port" this peer listens on when it initiates, or empty
 * @param ratchetIntervalRecords records per traffic key we accept (and offer)
 * @param ratchetIntervalBytes plaintext bytes per traffic key we accept (and offer)
 * @param maxFrameLength the largest frame we accept after the handshake
 * @param certificateSource our credential for the peer's verifier
 */
public record HandshakeConfig(
        LocalIdentity identity,
        List<CipherSuite> suites,
        boolean requirePostQuantum,
        boolean requireAes256,
        byte[] networkId,
        String listenAddress,
        int ratchetIntervalRecords,
        long ratchetIntervalBytes,
        int maxFrameLength,
        CertificateSource certificateSource) {

    /** Copies the list and the network id. */
    public HandshakeConfig {
        suites = List.copyOf(suites);
        networkId = networkId.clone();
    }

    /** The network id (a copy). */
    @Override
    public byte[] networkId() {
        return networkId.clone();
    }

    /** Whether any offered suite is hybrid. */
    public boolean offersHybrid() {
        return suites.stream().anyMatch(CipherSuite::isHybrid);
    }
}
