package io.p2pchat.ledger.store;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.RejectReason;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a ledger keeps its blocks: an append-only log of block, tip and invalid-block records.
 *
 * <p>Records appended are durable only after {@link #sync()}; the ledger syncs before it
 * acknowledges a block. {@link #load} replays every record in append order, detecting torn tails
 * and corruption.
 *
 * <p>Not thread-safe: owned by the ledger thread ({@link #read} may also be called from it only).
 */
public interface BlockStore extends Closeable {
    /** Receives the stored records in append order. */
    interface Visitor {
        /**
         * A block record.
         *
         * @param position the record's position, for {@link #read}
         * @param block the block
         * @throws CorruptRecordException if the block no longer verifies
         */
        void block(long position, BlockData block) throws CorruptRecordException;

        /**
         * Whether block records may be delivered without their transactions decoded, as {@link
         * #storedBlock}: asked before each block record.
         */
        default boolean headersSuffice() {
            return false;
        }

        /**
         * A block record delivered in place, its transactions not decoded (see {@link
         * #headersSuffice}); {@code block} is valid only during the call.
         *
         * @throws CorruptRecordException if the block no longer verifies
         */
        default void storedBlock(long position, RecordFormat.StoredBlock block)
                throws CorruptRecordException {
            throw new UnsupportedOperationException("storedBlock");
        }

        /** A tip record: the best chain up to {@code tip} was fully validated. */
        void tip(BlockHash tip) throws CorruptRecordException;

        /** An invalid-block record. */
        void invalid(BlockHash hash, int reasonCode);
    }

    /** A stored record that decodes but does not verify. */
    final class CorruptRecordException extends Exception {
        private static final long serialVersionUID = 1L;

        /** Explains what does not verify. */
        public CorruptRecordException(String message) {
            super(message);
        }
    }

    /** What {@link #load} found. */
    record LoadResult(
            long blocks, long truncatedBytes, long repairedBytes, java.util.List<String> events) {}

    /**
     * Replays all records.
     *
     * @throws LedgerStorageException {@code CORRUPT_LEDGER} on corruption that is not a torn tail
     *     (unless the store repairs by truncation), {@code IO_FAILURE} on I/O errors
     */
    LoadResult load(Visitor visitor) throws LedgerStorageException;

    /** Appends a block; returns its position. */
    long appendBlock(BlockData block) throws LedgerStorageException;

    /** Appends a tip record. */
    void appendTip(BlockHash tip) throws LedgerStorageException;

    /** Appends an invalid-block record. */
    void appendInvalid(BlockHash hash, RejectReason reason) throws LedgerStorageException;

    /** Makes everything appended so far durable (fsync). */
    void sync() throws LedgerStorageException;

    /**
     * Reads the block at {@code position}, verifying its checksum and that its header hashes to
     * {@code expected}.
     *
     * @throws LedgerStorageException {@code CORRUPT_LEDGER} if it no longer verifies
     */
    BlockData read(long position, BlockHash expected) throws LedgerStorageException;

    /** Bytes stored. */
    long size();

    /** Whether this store was opened read-only: it changes nothing on disk. */
    default boolean readOnly() {
        return false;
    }

    /**
     * How reports name a stored block record: {@code block N (offset O)}, N counting the block
     * records of the log from 1, as the open and a later read both do.
     */
    static String recordName(long number, long offset) {
        return "block " + number + " (offset " + offset + ")";
    }

    /** Whether this store keeps (writes) a state snapshot at all. */
    default boolean keepsSnapshots() {
        return false;
    }

    /** Whether a state snapshot is stored (it may still fail verification). */
    default boolean hasSnapshot() {
        return false;
    }

    /**
     * The first {@code length} bytes of the stored state snapshot's payload, if a snapshot of this
     * store's version and network is stored; not checksummed (that is {@link #readSnapshot}'s
     * work), only to learn early where the snapshot claims to be.
     */
    default byte @Nullable [] readSnapshotHead(int length) {
        return null;
    }

    /**
     * The stored state snapshot's payload ({@code docs/ledger.md} §9.4), verified against its
     * container (magic, version, network id, length, CRC32C), or null when there is none or it does
     * not verify; then the reason is added to {@code problems}. Safe to call from another thread
     * while {@link #load} runs; it never changes the store.
     */
    default byte @Nullable [] readSnapshot(List<String> problems) {
        return null;
    }

    /**
     * Replaces the stored state snapshot atomically: after a crash the old snapshot or the new one
     * is found whole, or a torn one that fails its checksum and is ignored. The blocks it depends
     * on must already be durable ({@link #sync()}).
     */
    default void writeSnapshot(byte[] payload) throws LedgerStorageException {}

    @Override
    void close() throws IOException;
}
