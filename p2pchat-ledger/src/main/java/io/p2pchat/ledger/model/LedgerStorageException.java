package io.p2pchat.ledger.model;

import java.io.IOException;
import java.util.Objects;

/**
 * The ledger's data directory cannot be used: locked by another process, corrupt, of another
 * network, or failing I/O. {@link #error()} says which; the message names the file, record or block
 * (for example {@code CORRUPT_LEDGER: block 17 (offset 9120): Merkle root mismatch}).
 */
public final class LedgerStorageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final StorageError error;

    /** Creates an exception with its error and explanation. */
    public LedgerStorageException(StorageError error, String message) {
        super(Objects.requireNonNull(error, "error").name() + ": " + message);
        this.error = error;
    }

    /** Creates an exception with its error, explanation and cause. */
    public LedgerStorageException(StorageError error, String message, Throwable cause) {
        super(Objects.requireNonNull(error, "error").name() + ": " + message, cause);
        this.error = error;
    }

    /** What went wrong. */
    public StorageError error() {
        return error;
    }
}
