package io.p2pchat.channel;

/**
 * The frame and record header layout (docs/protocol.md, "Framing" and "Records").
 *
 * <pre>
 *  0               4       5               9
 * +---------------+-------+---------------+--------------------------------+
 * | length (u32)  | type  | epoch (u32)   | fragment (length - 5 bytes)    |
 * +---------------+-------+---------------+--------------------------------+
 *   length counts every byte after the length field itself.
 *   For encrypted types, fragment = AES-GCM ciphertext || 16-byte tag, and the
 *   9 header bytes exactly as on the wire are the associated data.
 * </pre>
 */
final class RecordFormat {
    /** Bytes of the length field. */
    public static final int LENGTH_FIELD_LENGTH = 4;

    /** Bytes of the header: length, type, epoch. */
    public static final int HEADER_LENGTH = 9;

    /** Bytes of the header that the length counts: type and epoch. */
    public static final int COUNTED_HEADER_LENGTH = 5;

    /** Per-record overhead counted by the length of an encrypted record: type, epoch, tag. */
    public static final int ENCRYPTED_OVERHEAD = COUNTED_HEADER_LENGTH + 16;

    /** Largest epoch; the channel closes rather than wrap it. */
    public static final long MAX_EPOCH = 0xFFFF_FFFFL;

    private RecordFormat() {}

    /** Largest plaintext in one record sent to a peer that accepts {@code maxFrameLength}. */
    public static int maxPlaintext(int maxFrameLength) {
        return maxFrameLength - ENCRYPTED_OVERHEAD;
    }
}
