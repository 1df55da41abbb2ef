package io.p2pchat.channel;

/**
 * Supplies the credential this peer presents in each handshake, such as its current ledger
 * certificate (identity record with inclusion proof), for the other side's {@link PeerVerifier}.
 *
 * <p>Called once per handshake, off the event loop; must be thread-safe and fast (no network).
 */
@FunctionalInterface
public interface CertificateSource {
    /** The certificate bytes for the next handshake; empty when there is none. */
    byte[] currentCertificate();

    /** A source that presents no certificate. */
    static CertificateSource none() {
        return () -> new byte[0];
    }
}
