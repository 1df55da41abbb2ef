package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.Merkle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The record format of the block log ({@code docs/ledger.md}, "Storage format").
 *
 * <pre>
 * record  = magic (4: "P2LR") | type (1) | length (4, big-endian) | payload (length) | crc32c (4)
 *           crc32c covers type, length and payload
 * BLOCK   (type 1): header (156) | count (4) | count x (length (4) | envelope bytes)
 * TIP     (type 2): block hash (32)
 * INVALID (type 3): block hash (32) | reject code (4)
 * </pre>
 */
public final class RecordFormat {
    /** Record magic, "P2LR". */
    public static final int MAGIC = 0x50324C52;

    /** Bytes before the payload. */
    public static final int HEADER_LENGTH = 9;

    /** Bytes after the payload. */
    public static final int TRAILER_LENGTH = 4;

    /** Largest payload accepted when reading (a 16 MiB block plus framing). */
    public static final int MAX_PAYLOAD = (16 << 20) + (1 << 20);

    public static final byte BLOCK = 1;
    public static final byte TIP = 2;
    public static final byte INVALID = 3;

    private RecordFormat() {}

    /** A whole record around {@code payload}. */
    public static byte[] record(byte type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + payload.length + TRAILER_LENGTH);
        b.putInt(MAGIC);
        b.put(type);
        b.putInt(payload.length);
        b.put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 4, 5 + payload.length);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The CRC32C a record with this type and payload carries. */
    public static int crc(byte type, byte[] buf, int payloadOffset, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(type);
        crc.update((payloadLength >>> 24) & 0xFF);
        crc.update((payloadLength >>> 16) & 0xFF);
        crc.update((payloadLength >>> 8) & 0xFF);
        crc.update(payloadLength & 0xFF);
        crc.update(buf, payloadOffset, payloadLength);
        return (int) crc.getValue();
    }

    /** The BLOCK payload of a block. */
    public static byte[] blockPayload(BlockData block) {
        int size = BlockHeader.LENGTH + 4;
        for (byte[] t : block.transactions()) {
            size += 4 + t.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(block.header().encodedUnsafe());
        b.putInt(block.transactions().size());
        for (byte[] t : block.transactions()) {
            b.putInt(t.length);
            b.put(t);
        }
        return b.array();
    }

    /**
     * A BLOCK payload read in place, without decoding or copying its transactions: its header, its
     * checked framing, and the Merkle root of its transactions on demand. Valid only while the
     * array is (the store reuses its read window).
     */
    public static final class StoredBlock {
        private final byte[] payload;
        private final int[] starts;
        private final int[] lengths;
        private final BlockHeader header;

        private StoredBlock(byte[] payload, int[] starts, int[] lengths, BlockHeader header) {
            this.payload = payload;
            this.starts = starts;
            this.lengths = lengths;
            this.header = header;
        }

        /** The header (not yet checked). */
        public BlockHeader header() {
            return header;
        }

        /**
         * The Merkle root computed over the stored transactions (on several cores for large
         * blocks).
         */
        public byte[] merkleRoot() {
            int count = starts.length;
            byte[][] leaves = new byte[count][];
            if (count >= BlockData.PARALLEL_THRESHOLD) {
                java.util.stream.IntStream.range(0, count)
                        .parallel()
                        .forEach(
                                i ->
                                        leaves[i] =
                                                LedgerHashes.leafHash(
                                                        payload, starts[i], lengths[i]));
            } else {
                for (int i = 0; i < count; i++) {
                    leaves[i] = LedgerHashes.leafHash(payload, starts[i], lengths[i]);
                }
            }
            return Merkle.root(java.util.Arrays.asList(leaves));
        }
    }

    /**
     * Parses a BLOCK payload in place: the header and the transactions' framing, checked, without
     * copying them.
     *
     * @throws IllegalArgumentException if the payload is not well formed
     */
    public static StoredBlock storedBlock(byte[] payload, int offset, int length) {
        if (length < BlockHeader.LENGTH + 4) {
            throw new IllegalArgumentException("block record of " + length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(payload, offset, length);
        byte[] header = new byte[BlockHeader.LENGTH];
        b.get(header);
        int count = b.getInt();
        if (count < 0 || count > length / 4) {
            throw new IllegalArgumentException("block record with " + count + " transactions");
        }
        int[] starts = new int[count];
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) {
                throw new IllegalArgumentException("block record truncated at transaction " + i);
            }
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) {
                throw new IllegalArgumentException(
                        "block record: transaction " + i + " of " + len + " bytes");
            }
            starts[i] = b.position();
            lengths[i] = len;
            b.position(b.position() + len);
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(
                    "block record with " + b.remaining() + " trailing bytes");
        }
        return new StoredBlock(payload, starts, lengths, BlockHeader.wrapTrusted(header));
    }

    /**
     * Decodes a BLOCK payload.
     *
     * @throws IllegalArgumentException if it is not well formed
     */
    public static BlockData decodeBlock(byte[] payload, int offset, int length) {
        ByteBuffer b = ByteBuffer.wrap(payload, offset, length);
        if (length < BlockHeader.LENGTH + 4) {
            throw new IllegalArgumentException("block record of " + length + " bytes");
        }
        byte[] header = new byte[BlockHeader.LENGTH];
        b.get(header);
        int count = b.getInt();
        if (count < 0 || count > length / 4) {
            throw new IllegalArgumentException("block record with " + count + " transactions");
        }
        List<byte[]> txs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) {
                throw new IllegalArgumentException("block record truncated at transaction " + i);
            }
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) {
                throw new IllegalArgumentException(
                        "block record: transaction " + i + " of " + len + " bytes");
            }
            byte[] t = new byte[len];
            b.get(t);
            txs.add(t);
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(
                    "block record with " + b.remaining() + " trailing bytes");
        }
        return new BlockData(BlockHeader.wrapTrusted(header), txs);
    }
}
