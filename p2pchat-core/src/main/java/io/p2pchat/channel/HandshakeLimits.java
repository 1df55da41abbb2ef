package io.p2pchat.channel;

/** Protocol constants of version 1 (docs/protocol.md). */
final class HandshakeLimits {
    /** The only protocol version this implementation speaks. */
    public static final int PROTOCOL_VERSION = 1;

    /** Largest handshake message (HELLO or decrypted HANDSHAKE payload) in bytes. */
    public static final int MAX_HANDSHAKE_MESSAGE = 16384;

    /** Length of the hello randoms. */
    public static final int RANDOM_LENGTH = 32;

    /** Length of a network id. */
    public static final int NETWORK_ID_LENGTH = 32;

    /** Most versions an initiator may list. */
    public static final int MAX_VERSIONS = 16;

    /** Most suites an initiator may list. */
    public static final int MAX_SUITES = 32;

    /** Longest listen address, in UTF-16 chars. */
    public static final int MAX_LISTEN_ADDRESS = 255;

    /** Bounds of the negotiated records-per-key limit. */
    public static final int MIN_RATCHET_RECORDS = 1;

    public static final int MAX_RATCHET_RECORDS = 1 << 24;

    /** Bounds of the negotiated bytes-per-key limit. */
    public static final long MIN_RATCHET_BYTES = 1L << 10;

    public static final long MAX_RATCHET_BYTES = 1L << 36;

    /** Bounds of the advertised maximum frame length. */
    public static final int MIN_FRAME_LENGTH = MAX_HANDSHAKE_MESSAGE + 21;

    public static final int MAX_FRAME_LENGTH = 1 << 24;

    private HandshakeLimits() {}
}
