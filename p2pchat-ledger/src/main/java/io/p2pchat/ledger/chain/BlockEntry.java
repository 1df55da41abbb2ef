package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.RejectReason;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A node of the block tree: a validated header, where its data is stored (if it is), and its state
 * with respect to the best chain.
 *
 * <p>The immutable fields are safe to read from any thread; the mutable ones are written by the
 * ledger thread only, and read by other threads only under the ledger's lock.
 */
public final class BlockEntry {
    final BlockHeader header;
    final BlockHash hash;
    final @Nullable BlockEntry parent;
    final long height;
    final BigInteger chainWork;

    /** Arrival order: on equal work, the first seen wins. */
    final long sequence;

    /** Store position of the data, -1 when only the header is known. */
    long position = -1;

    /**
     * Number of its record in the block log, counting block records from 1, as reports name it
     * ({@code BlockStore.recordName}); 0 when stored after the open.
     */
    long record;

    /** Data is stored for this block and all its ancestors. */
    boolean dataChain;

    /** Non-null when this block or an ancestor is invalid. */
    @Nullable RejectReason invalid;

    /**
     * The stored transactions have not been checked against the header's Merkle root yet (their
     * state came from a snapshot): checked on first read ({@code ChainActivation.readStored}).
     */
    boolean bodyUnchecked;

    /** Undo data, while on the best chain. */
    @Nullable StateDelta undo;

    /** Children known, data or not. */
    @Nullable List<BlockEntry> children;

    BlockEntry(BlockHeader header, @Nullable BlockEntry parent, long sequence) {
        this.header = header;
        this.hash = header.hash();
        this.parent = parent;
        this.height = header.height();
        this.chainWork = parent == null ? header.work() : parent.chainWork.add(header.work());
        this.sequence = sequence;
        if (parent != null) {
            if (parent.children == null) {
                parent.children = new ArrayList<>(1);
            }
            parent.children.add(this);
        }
    }

    /** The header. */
    public BlockHeader header() {
        return header;
    }

    /** The hash. */
    public BlockHash hash() {
        return hash;
    }

    /** The height. */
    public long height() {
        return height;
    }

    /** Cumulative work from genesis. */
    public BigInteger chainWork() {
        return chainWork;
    }

    /** Whether the block's data is stored. */
    public boolean hasData() {
        return position >= 0 || height == 0;
    }

    /** The ancestor at {@code h}. */
    BlockEntry ancestor(long h) {
        BlockEntry e = this;
        while (e.height > h) {
            e = e.parent;
        }
        return e;
    }

    @Override
    public String toString() {
        return "BlockEntry[" + height + " " + hash.shortHex() + "]";
    }
}
