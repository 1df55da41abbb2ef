package io.p2pchat.ledger.model;

import java.math.BigInteger;
import java.util.Objects;

/**
 * The tip of a chain: its last block, height and cumulative work.
 *
 * @param hash the last block's hash
 * @param height its height (genesis is 0)
 * @param totalWork the sum of the work of every block from genesis, genesis included
 * @param timestampMillis the last block's timestamp, Unix milliseconds
 */
public record ChainTip(BlockHash hash, long height, BigInteger totalWork, long timestampMillis) {
    /** Validates. */
    public ChainTip {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(totalWork, "totalWork");
    }

    @Override
    public String toString() {
        return "ChainTip["
                + height
                + " "
                + hash.shortHex()
                + " work="
                + totalWork.toString(16)
                + "]";
    }
}
