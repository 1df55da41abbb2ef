package io.p2pchat.ledger.model;

/**
 * What went wrong with a ledger's data directory ({@code docs/ledger.md}, "Storage").
 *
 * <p>Immutable and thread-safe.
 */
public enum StorageError {
    /** Another process (or another ledger in this process) holds the data directory. */
    DATADIR_LOCKED,
    /**
     * Stored data failed verification when read: a checksum, hash link, proof of work or Merkle
     * root that no longer matches, with valid data after it (not a torn tail), or a missing file.
     */
    CORRUPT_LEDGER,
    /**
     * The last record was incomplete or damaged (a write cut short by a crash) and was cut off.
     * Reported in the {@link OpenReport}; not an error.
     */
    TRUNCATED_TAIL,
    /** The data directory belongs to another network. */
    WRONG_NETWORK,
    /** Reading, writing or syncing failed; the ledger stops accepting blocks. */
    IO_FAILURE
}
