package io.p2pchat.channel;

import org.jspecify.annotations.Nullable;

/**
 * Supplies the credential this peer presents in each handshake, such as its current ledger
 * certificate (identity record with inclusion proof), for the other side's {@link PeerVerifier}.
 *
 * <p>Each full handshake (a resumed one presents none) first asks {@link
 * #currentCertificateIfReady()} on the channel's event loop; only when that has no answer does it
 * call {@link #currentCertificate()}, on the context's crypto executor. Both must be thread-safe;
 * neither may wait for the network.
 */
@FunctionalInterface
public interface CertificateSource {
    /** The certificate bytes for the next handshake; empty when there is none. */
    byte[] currentCertificate();

    /**
     * The certificate for the next handshake if it is at hand in memory, or null when it must be
     * built or fetched by {@link #currentCertificate()}. Called on the event loop: it must return
     * at once, without I/O or waiting for a lock held across either. A source that answers here
     * saves the handshake two thread hand-offs (docs/concurrency.md). The caller owns the returned
     * array. Default: null.
     */
    default byte @Nullable [] currentCertificateIfReady() {
        return null;
    }

    /** A source that presents no certificate. */
    static CertificateSource none() {
        return new CertificateSource() {
            @Override
            public byte[] currentCertificate() {
                return new byte[0];
            }

            @Override
            public byte[] currentCertificateIfReady() {
                return new byte[0];
            }
        };
    }
}
