package io.p2pchat.internal.ledger;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.ledger.BlockHash;
import io.p2pchat.ledger.BlockHeader;
import io.p2pchat.ledger.InvalidBlockException;
import io.p2pchat.ledger.RejectReason;
import io.p2pchat.proto.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * A block as exact bytes: its header and its transactions' envelope bytes, in order. Its identity
 * is the header hash; the Protobuf container it travels in plays no part in it.
 *
 * <p>Immutable by convention: the lists and arrays are never modified after construction.
 */
public final class BlockData {
    private final BlockHeader header;
    private final List<byte[]> transactions;
    private final long size;

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

    /** The Merkle leaf hashes of the transactions. */
    public List<byte[]> leafHashes() {
        List<byte[]> out = new ArrayList<>(transactions.size());
        for (byte[] t : transactions) {
            out.add(LedgerHashes.leafHash(t));
        }
        return out;
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
