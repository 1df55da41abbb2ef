package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import org.jspecify.annotations.Nullable;

/** Looks up known headers by hash: what contextual header validation walks. */
@FunctionalInterface
public interface HeaderSource {
    /** The header with this hash, or null when unknown. */
    @Nullable BlockHeader header(BlockHash hash);
}
