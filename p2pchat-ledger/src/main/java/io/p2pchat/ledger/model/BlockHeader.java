package io.p2pchat.ledger.model;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A block header in its fixed-width canonical encoding; the block's identity and proof of work.
 *
 * <h2>Encoding (156 bytes, big-endian)</h2>
 *
 * <pre>
 * offset size field
 *      0    4 version        uint32, 1
 *      4    8 height         uint64, genesis = 0
 *     12   32 previous hash  SHA-256 of the parent's header; zero for genesis
 *     44   32 Merkle root    RFC 6962 root of the transactions (docs/ledger.md, "Merkle tree")
 *     76    8 timestamp      int64, Unix time in milliseconds
 *     84   32 target         uint256; the header hash must be &lt;= target
 *    116    8 nonce          uint64, free for the miner
 *    124   32 network id     SHA-256 of the network parameters
 * </pre>
 *
 * The block hash is SHA-256 of exactly these 156 bytes; proof of work compares it, as an unsigned
 * 256-bit big-endian number, with the target. The work of a block is 2^256 / (target + 1).
 *
 * <p>Immutable and thread-safe. {@link #decode} checks only the length and version; the rules are
 * applied by the ledger's validation.
 */
public final class BlockHeader {
    /** Length of the encoding in bytes. */
    public static final int LENGTH = 156;

    /** The only header version defined. */
    public static final int VERSION = 1;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] encoded;
    private final BlockHash hash;

    private BlockHeader(byte[] encoded) {
        this.encoded = encoded;
        this.hash = BlockHash.of(LedgerHashes.sha256(encoded));
    }

    /**
     * Builds a header from its fields.
     *
     * @throws IllegalArgumentException if a field is out of range
     */
    public static BlockHeader of(
            int version,
            long height,
            BlockHash previous,
            byte[] merkleRoot,
            long timestampMillis,
            BigInteger target,
            long nonce,
            byte[] networkId) {
        Objects.requireNonNull(previous, "previous");
        if (height < 0) {
            throw new IllegalArgumentException("height: " + height + " (expected: >= 0)");
        }
        if (merkleRoot.length != 32) {
            throw new IllegalArgumentException(
                    "merkleRoot length: " + merkleRoot.length + " (expected: 32)");
        }
        if (networkId.length != 32) {
            throw new IllegalArgumentException(
                    "networkId length: " + networkId.length + " (expected: 32)");
        }
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.putInt(version);
        b.putLong(height);
        b.put(previous.toBytes());
        b.put(merkleRoot);
        b.putLong(timestampMillis);
        b.put(Pow.toUint256(target));
        b.putLong(nonce);
        b.put(networkId);
        return new BlockHeader(b.array());
    }

    /**
     * Decodes a header.
     *
     * @throws InvalidBlockException {@code MALFORMED_BLOCK} if it is not 156 bytes, {@code
     *     BAD_VERSION} for another version
     */
    public static BlockHeader decode(byte[] bytes) throws InvalidBlockException {
        if (bytes.length != LENGTH) {
            throw new InvalidBlockException(
                    RejectReason.MALFORMED_BLOCK,
                    "header of " + bytes.length + " bytes (expected: " + LENGTH + ")");
        }
        int version = ByteBuffer.wrap(bytes).getInt(0);
        if (version != VERSION) {
            throw new InvalidBlockException(
                    RejectReason.BAD_VERSION,
                    "header version " + Integer.toUnsignedString(version));
        }
        return new BlockHeader(bytes.clone());
    }

    /** Wraps bytes already known to be a valid encoding, without copying. Internal use. */
    public static BlockHeader wrapTrusted(byte[] bytes) {
        return new BlockHeader(bytes);
    }

    /** The 156-byte encoding (a copy). */
    public byte[] encode() {
        return encoded.clone();
    }

    /** The encoding without copying. Internal use: callers must not modify it. */
    public byte[] encodedUnsafe() {
        return encoded;
    }

    /** The block hash: SHA-256 of the encoding. */
    public BlockHash hash() {
        return hash;
    }

    /** The header version. */
    public int version() {
        return ByteBuffer.wrap(encoded).getInt(0);
    }

    /** The block height; genesis is 0. */
    public long height() {
        return ByteBuffer.wrap(encoded).getLong(4);
    }

    /** The parent block's hash. */
    public BlockHash previous() {
        return BlockHash.of(Arrays.copyOfRange(encoded, 12, 44));
    }

    /** The Merkle root of the transactions (a copy). */
    public byte[] merkleRoot() {
        return Arrays.copyOfRange(encoded, 44, 76);
    }

    /** The timestamp, Unix milliseconds. */
    public long timestampMillis() {
        return ByteBuffer.wrap(encoded).getLong(76);
    }

    /** The proof-of-work target. */
    public BigInteger target() {
        return new BigInteger(1, Arrays.copyOfRange(encoded, 84, 116));
    }

    /** The nonce. */
    public long nonce() {
        return ByteBuffer.wrap(encoded).getLong(116);
    }

    /** The network id (a copy). */
    public byte[] networkId() {
        return Arrays.copyOfRange(encoded, 124, 156);
    }

    /** Whether the network id equals {@code id}. */
    public boolean isOnNetwork(byte[] id) {
        return Arrays.equals(encoded, 124, 156, id, 0, id.length);
    }

    /** The work this block proves: 2^256 / (target + 1). */
    public BigInteger work() {
        return Pow.work(target());
    }

    /** Whether the hash meets the target. */
    public boolean meetsTarget() {
        return Pow.meets(hash.toBytes(), target());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHeader && hash.equals(((BlockHeader) o).hash);
    }

    @Override
    public int hashCode() {
        return hash.hashCode();
    }

    @Override
    public String toString() {
        return "BlockHeader["
                + height()
                + " "
                + hash.shortHex()
                + " prev="
                + HEX.formatHex(encoded, 12, 20)
                + "]";
    }
}
