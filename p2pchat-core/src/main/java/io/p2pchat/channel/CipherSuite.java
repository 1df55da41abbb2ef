package io.p2pchat.channel;

import org.jspecify.annotations.Nullable;

/**
 * A cipher suite: the key agreement of the handshake and the AEAD of the records. Every suite
 * authenticates with RSASSA-PSS-SHA-256 and derives keys with HKDF-SHA-256.
 *
 * <p>The wire id's high byte names the key agreement (0x00 X25519, 0x01 X25519 + ML-KEM-768) and
 * its low byte the AEAD (0x01 AES-128-GCM, 0x02 AES-256-GCM); see {@code docs/protocol.md}, section
 * "Cipher suites".
 */
public enum CipherSuite {
    /** Hybrid post-quantum key agreement with AES-128-GCM records: the default. */
    X25519_MLKEM768_AES_128_GCM_SHA256(0x0101, true, 16),
    /** Hybrid post-quantum key agreement with AES-256-GCM records. */
    X25519_MLKEM768_AES_256_GCM_SHA256(0x0102, true, 32),
    /** Classical X25519 key agreement with AES-128-GCM records. */
    X25519_AES_128_GCM_SHA256(0x0001, false, 16),
    /** Classical X25519 key agreement with AES-256-GCM records. */
    X25519_AES_256_GCM_SHA256(0x0002, false, 32);

    private final int id;
    private final boolean hybrid;
    private final int keyLengthBytes;

    CipherSuite(int id, boolean hybrid, int keyLengthBytes) {
        this.id = id;
        this.hybrid = hybrid;
        this.keyLengthBytes = keyLengthBytes;
    }

    /** The 16-bit id on the wire. */
    public int id() {
        return id;
    }

    /** Whether the key agreement is hybrid X25519 + ML-KEM-768 (post-quantum). */
    public boolean isHybrid() {
        return hybrid;
    }

    /** Whether records are protected with AES-256-GCM. */
    public boolean isAes256() {
        return keyLengthBytes == 32;
    }

    /** AES key length in bytes: 16 or 32. */
    public int keyLengthBytes() {
        return keyLengthBytes;
    }

    /** The suite with this wire id, or {@code null} if this version does not know it. */
    public static @Nullable CipherSuite fromId(int id) {
        for (CipherSuite suite : values()) {
            if (suite.id == id) {
                return suite;
            }
        }
        return null;
    }
}
