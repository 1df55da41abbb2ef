package io.p2pchat.internal.ledger;

import io.p2pchat.ledger.BlockHash;
import io.p2pchat.ledger.BlockHeader;
import org.jspecify.annotations.Nullable;

/** Looks up known headers by hash: what contextual header validation walks. */
@FunctionalInterface
public interface HeaderSource {
    /** The header with this hash, or null when unknown. */
    @Nullable BlockHeader header(BlockHash hash);
}
