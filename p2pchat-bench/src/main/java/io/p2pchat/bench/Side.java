package io.p2pchat.bench;

/** One end-to-end configuration measured by the loopback harness. */
public enum Side {
    /** Netty TCP with the same 4-byte length framing and no security: the physical ceiling. */
    PLAIN("plain", "plain TCP"),
    /** Netty {@code SslHandler}, TLS 1.3 on the JDK's SSLEngine, TLS_AES_128_GCM_SHA256. */
    TLS_JDK("tls_jdk", "TLS 1.3 JDK"),
    /** Netty {@code SslHandler}, TLS 1.3 on BoringSSL (netty-tcnative-boringssl-static). */
    TLS_OPENSSL("tls_openssl", "TLS 1.3 BoringSSL"),
    /**
     * p2pchat defaults: hybrid X25519 + ML-KEM-768, AES-128-GCM, ratchet every 8 records;
     * RSA-signed handshakes (delegated credentials off), as against a peer without them.
     */
    P2PCHAT("p2pchat", "p2pchat"),
    /** p2pchat with AES-256-GCM. */
    P2PCHAT_AES256("p2pchat_aes256", "p2pchat AES-256"),
    /** p2pchat ratcheting after every record. */
    P2PCHAT_RATCHET1("p2pchat_ratchet1", "p2pchat ratchet/1"),
    /**
     * p2pchat defaults with delegated credentials (docs/protocol.md 5.10): each handshake signs
     * with Ed25519. The other p2pchat sides sign with RSA, as a peer without credentials does.
     */
    P2PCHAT_DC("p2pchat_dc", "p2pchat DC"),
    /**
     * p2pchat defaults with resumption (docs/protocol.md 5.11): every handshake after the first
     * resumes with the ticket the previous one left (fresh X25519 + ML-KEM-768, no signature). The
     * other p2pchat sides have resumption off, so that each of their handshakes is a full one.
     */
    P2PCHAT_RESUMED("p2pchat_resumed", "p2pchat resumed"),
    /** p2pchat with the classical X25519-only suite. */
    P2PCHAT_X25519("p2pchat_x25519", "p2pchat X25519"),
    /**
     * Experiment only ({@code --sides p2pchat_ratchet_off}): p2pchat with the ratchet pushed to its
     * largest interval, to measure what the default ratchet costs. Not in the default suite.
     */
    P2PCHAT_RATCHET_OFF("p2pchat_ratchet_off", "p2pchat no ratchet");

    private final String key;
    private final String label;

    Side(String key, String label) {
        this.key = key;
        this.label = label;
    }

    /** The suffix of this side's JSON keys. */
    public String key() {
        return key;
    }

    /** The name shown in the table. */
    public String label() {
        return label;
    }

    /** Whether this side is p2pchat (any variant). */
    public boolean isP2pchat() {
        return name().startsWith("P2PCHAT");
    }

    /** Whether this side is TLS. */
    public boolean isTls() {
        return this == TLS_JDK || this == TLS_OPENSSL;
    }
}
