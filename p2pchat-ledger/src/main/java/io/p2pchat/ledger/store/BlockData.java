package io.p2pchat.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.proto.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A block as exact bytes: its header and its transactions' envelope bytes, in order. Its identity
 * is the header hash; the Protobuf container it travels in plays no part in it.
 *
 * <p>Immutable by convention: the lists and arrays are never modified after construction; the leaf
 * hashes are computed at most a few times and cached. Thread-safe.
 */
public final class BlockData {
    private final BlockHeader header;
    private final List<byte[]> transactions;
    private final long size;
    private volatile @Nullable List<byte[]> leaves;

    /** Blocks with at least this many transactions are hashed and decoded on several cores. */
    public static final int PARALLEL_THRESHOLD = 64;

    /** A block of these parts (not copied). */
    public BlockData(BlockHeader header, List<byte[]> transactions) {
        this.header = header;
        this.transactions = List.copyOf(transactions);
        long s = BlockHeader.LENGTH;
        for (byte[] t : transactions) {
            s += t.length;
        }
        this.size = s;
    }

    /**
     * Decodes a block from its Protobuf container.
     *
     * @throws InvalidBlockException {@code MALFORMED_BLOCK} or {@code BAD_VERSION}
     */
    public static BlockData fromProto(Block block) throws InvalidBlockException {
        BlockHeader header = BlockHeader.decode(block.getHeader().toByteArray());
        List<byte[]> txs = new ArrayList<>(block.getTransactionsCount());
        for (ByteString t : block.getTransactionsList()) {
            txs.add(t.toByteArray());
        }
        return new BlockData(header, txs);
    }

    /** Decodes a serialized Protobuf {@code Block}. */
    public static BlockData decode(byte[] bytes) throws InvalidBlockException {
        try {
            return fromProto(Block.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidBlockException(
                    RejectReason.MALFORMED_BLOCK, "undecodable block container");
        }
    }

    /** The Protobuf container. */
    public Block toProto() {
        Block.Builder b = Block.newBuilder().setHeader(ByteString.copyFrom(header.encodedUnsafe()));
        for (byte[] t : transactions) {
            b.addTransactions(ByteString.copyFrom(t));
        }
        return b.build();
    }

    /** The header. */
    public BlockHeader header() {
        return header;
    }

    /** The block hash. */
    public BlockHash hash() {
        return header.hash();
    }

    /** The transactions' envelope bytes. Callers must not modify them. */
    public List<byte[]> transactions() {
        return transactions;
    }

    /** The block size as the size limit counts it: 156 plus the transactions' bytes. */
    public long size() {
        return size;
    }

    /**
     * The Merkle leaf hashes of the transactions, computed once (on several cores for large blocks)
     * and cached. The list and its arrays must not be modified.
     */
    public List<byte[]> leafHashes() {
        List<byte[]> l = leaves;
        if (l == null) {
            int n = transactions.size();
            byte[][] out = new byte[n][];
            if (n >= PARALLEL_THRESHOLD) {
                IntStream.range(0, n)
                        .parallel()
                        .forEach(i -> out[i] = LedgerHashes.leafHash(transactions.get(i)));
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = LedgerHashes.leafHash(transactions.get(i));
                }
            }
            l = Collections.unmodifiableList(Arrays.asList(out));
            leaves = l;
        }
        return l;
    }

    @Override
    public String toString() {
        return "Block["
                + header.height()
                + " "
                + hash().shortHex()
                + ", "
                + transactions.size()
                + " txs]";
    }
}
