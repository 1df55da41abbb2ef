package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.StorageError;
import java.util.ArrayList;
import java.util.List;

/**
 * A block store in memory, for tests and throw-away ledgers: nothing survives the process.
 *
 * <p>Not thread-safe: owned by the ledger thread.
 */
public final class MemoryBlockStore implements BlockStore {
    private final List<Object> records = new ArrayList<>();
    private long bytes;

    @Override
    public LoadResult load(Visitor visitor) throws LedgerStorageException {
        long blocks = 0;
        try {
            for (int i = 0; i < records.size(); i++) {
                Object r = records.get(i);
                if (r instanceof BlockData) {
                    visitor.block(i, (BlockData) r);
                    blocks++;
                } else if (r instanceof BlockHash) {
                    visitor.tip((BlockHash) r);
                }
            }
        } catch (CorruptRecordException e) {
            throw new LedgerStorageException(StorageError.CORRUPT_LEDGER, e.getMessage());
        }
        return new LoadResult(blocks, 0, 0, List.of());
    }

    @Override
    public long appendBlock(BlockData block) {
        records.add(block);
        bytes += block.size();
        return records.size() - 1;
    }

    @Override
    public void appendTip(BlockHash tip) {
        records.add(tip);
    }

    @Override
    public void appendInvalid(BlockHash hash, RejectReason reason) {
        // Invalid blocks are re-validated if seen again.
    }

    @Override
    public void sync() {}

    @Override
    public BlockData read(long position, BlockHash expected) throws LedgerStorageException {
        Object r = records.get((int) position);
        if (!(r instanceof BlockData) || !((BlockData) r).hash().equals(expected)) {
            throw new LedgerStorageException(
                    StorageError.CORRUPT_LEDGER,
                    "no block " + expected.shortHex() + " at " + position);
        }
        return (BlockData) r;
    }

    @Override
    public long size() {
        return bytes;
    }

    @Override
    public void close() {}
}
