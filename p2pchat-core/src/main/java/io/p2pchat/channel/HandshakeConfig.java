package io.p2pchat.channel;

import io.p2pchat.identity.LocalIdentity;
import java.util.List;
import org.jspecify.annotations.Nullable;

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
 * @param networkBinding how strictly the peer's network id must match ours (docs/protocol.md §5.9)
 * @param credentials this side's delegated credentials and the verified cache, or null when
 *     delegated credentials are off (docs/protocol.md 5.10)
 * @param tickets this context's resumption tickets, or null when resumption is off
 *     (docs/protocol.md 5.11)
 */
record HandshakeConfig(
        LocalIdentity identity,
        List<CipherSuite> suites,
        boolean requirePostQuantum,
        boolean requireAes256,
        byte[] networkId,
        String listenAddress,
        int ratchetIntervalRecords,
        long ratchetIntervalBytes,
        int maxFrameLength,
        CertificateSource certificateSource,
        NetworkBinding networkBinding,
        @Nullable CredentialKeeper credentials,
        @Nullable ResumptionTickets tickets) {

    /**
     * Which network ids of the peer a handshake accepts besides its own (docs/protocol.md §5.9).
     */
    public enum NetworkBinding {
        /** The peer's network id must equal ours exactly (the default). */
        STRICT,
        /**
         * Responder bound to a network: also accept an initiator that presents an empty network id
         * (an unbound joiner that only asks for the network parameters).
         */
        ACCEPT_UNBOUND_INITIATORS,
        /**
         * Unbound initiator: accept the responder's network id, whatever it is, and report it in
         * the session so that the network parameters can be checked against it.
         */
        DISCOVER
    }

    /** Copies the list and the network id. */
    public HandshakeConfig {
        suites = List.copyOf(suites);
        networkId = networkId.clone();
    }

    /**
     * A configuration with {@link NetworkBinding#STRICT} network binding and without delegated
     * credentials.
     */
    public HandshakeConfig(
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
        this(
                identity,
                suites,
                requirePostQuantum,
                requireAes256,
                networkId,
                listenAddress,
                ratchetIntervalRecords,
                ratchetIntervalBytes,
                maxFrameLength,
                certificateSource,
                NetworkBinding.STRICT,
                null,
                null);
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
