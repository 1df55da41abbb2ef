package io.p2pchat.ledger.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What opening a ledger found and did.
 *
 * @param blocksLoaded stored blocks read and verified (hash link, proof of work, Merkle root)
 * @param truncatedBytes bytes of a torn tail ({@link StorageError#TRUNCATED_TAIL}), 0 if none: cut
 *     off, or, when {@code readOnly}, left in place and not read
 * @param repairedCorruptBytes bytes cut off at a corrupt record in repair mode, 0 if none
 * @param identities identities in the state of the best chain
 * @param snapshotHeight height of the state snapshot the identity state was loaded from (blocks
 *     above it were replayed from the log), or 0 when the state was rebuilt from the whole log
 * @param tipHeight height of the best chain
 * @param elapsed time the open took
 * @param events human-readable notes, one per recovery action or rejected stored block
 * @param rejectedBlocks stored blocks that break a header rule ({@code docs/ledger.md} §6.1-6.2)
 *     and were left out of the block tree, in log order
 * @param readOnly whether the ledger was opened read-only ({@link
 *     io.p2pchat.ledger.Ledger.Builder#readOnly}): then nothing was repaired or written, only
 *     reported
 */
public record OpenReport(
        long blocksLoaded,
        long truncatedBytes,
        long repairedCorruptBytes,
        int identities,
        long snapshotHeight,
        long tipHeight,
        Duration elapsed,
        List<String> events,
        List<RejectedBlock> rejectedBlocks,
        boolean readOnly) {
    /** Copies the lists. */
    public OpenReport {
        events = List.copyOf(events);
        rejectedBlocks = List.copyOf(rejectedBlocks);
    }

    /**
     * A stored block that breaks a header rule when the open checks it against its stored parent
     * and the clock: it is not used, nor is any block built on it, and the best chain is chosen
     * among the others. A permanent rule (every reason but {@code TIME_TOO_NEW}) means the store
     * holds a block a node never stores: a forged or damaged data directory; {@code TIME_TOO_NEW}
     * means the block is not valid yet by the local clock (a clock set back, or a forged timestamp)
     * and is used at a later open once the clock has reached it.
     *
     * @param hash the block's hash
     * @param height the height its header claims
     * @param reason the rule it breaks, as the network path would reject it
     * @param detail the network path's explanation ({@link InvalidBlockException#detail()})
     * @param moreWorkThanTip whether the chain up to it has more work than the best chain the open
     *     chose: but for the rule, it would be the tip
     */
    public record RejectedBlock(
            BlockHash hash,
            long height,
            RejectReason reason,
            String detail,
            boolean moreWorkThanTip) {
        /** Checks for nulls. */
        public RejectedBlock {
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }

        /** Whether it may become valid later ({@code TIME_TOO_NEW}). */
        public boolean notYetValid() {
            return reason.temporary();
        }

        /**
         * Whether an audit ({@link io.p2pchat.ledger.Ledger#verifyFully()}) counts it as a fault: a
         * block breaking a permanent rule always (a node never stores one), one not valid yet when
         * the best chain stops short of it. A block not valid yet on a branch with no more work
         * than the best chain changes nothing: a node whose clock ran ahead while it stored it
         * keeps such a block after its clock is corrected.
         */
        public boolean fault() {
            return !notYetValid() || moreWorkThanTip;
        }

        /**
         * One sentence naming the rule, the block (hash and height) and what became of it: {@code
         * REASON: stored block HASH at height H: explanation; consequence}, the reason and
         * explanation in the words the network path uses for such a block.
         */
        public String describe() {
            return reason + ": " + sentence();
        }

        /** {@link #describe()} without the reason in front. */
        public String sentence() {
            return "stored block "
                    + hash.toHex()
                    + " at height "
                    + height
                    + ": "
                    + detail
                    + (notYetValid()
                            ? "; not valid yet, it is left out until the local clock reaches its"
                                    + " timestamp (if the clock was set back, correct it)"
                            : "; it and the blocks built on it are left out (a node never stores"
                                    + " such a block: the data directory was altered)");
        }
    }
}
