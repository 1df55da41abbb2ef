package io.p2pchat.ledger;

import java.time.Duration;
import java.util.List;

/**
 * What opening a ledger found and did.
 *
 * @param blocksLoaded stored blocks read and verified (hash link, proof of work, Merkle root)
 * @param truncatedBytes bytes cut off a torn tail ({@link StorageError#TRUNCATED_TAIL}), 0 if none
 * @param repairedCorruptBytes bytes cut off at a corrupt record in repair mode, 0 if none
 * @param identities identities in the state of the best chain
 * @param snapshotHeight height of the state snapshot the identity state was loaded from (blocks
 *     above it were replayed from the log), or 0 when the state was rebuilt from the whole log
 * @param tipHeight height of the best chain
 * @param elapsed time the open took
 * @param events human-readable notes, one per recovery action
 */
public record OpenReport(
        long blocksLoaded,
        long truncatedBytes,
        long repairedCorruptBytes,
        int identities,
        long snapshotHeight,
        long tipHeight,
        Duration elapsed,
        List<String> events) {
    /** Copies the list. */
    public OpenReport {
        events = List.copyOf(events);
    }
}
