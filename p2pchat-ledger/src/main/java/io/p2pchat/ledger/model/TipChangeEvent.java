package io.p2pchat.ledger.model;

import io.p2pchat.identity.PeerId;
import java.util.List;
import java.util.Set;

/**
 * The best chain moved: extended by new blocks, or reorganized onto another branch.
 *
 * @param oldTip the previous tip
 * @param newTip the new tip
 * @param disconnected blocks removed from the best chain, newest first (empty unless a
 *     reorganization)
 * @param connected blocks added, oldest first
 * @param retiredKeys ids of keys that were the current, unrevoked key of an identity before and are
 *     not after (revoked, rotated away, or rolled back): sessions using them must end (a node
 *     closes those of revoked and rolled-back keys at once, and keeps a rotated-away key's session
 *     sync-only until the new key connects or a grace ends: docs/ledger.md §12.4)
 */
public record TipChangeEvent(
        ChainTip oldTip,
        ChainTip newTip,
        List<BlockHash> disconnected,
        List<BlockHash> connected,
        Set<PeerId> retiredKeys) {
    /** Copies the collections. */
    public TipChangeEvent {
        disconnected = List.copyOf(disconnected);
        connected = List.copyOf(connected);
        retiredKeys = Set.copyOf(retiredKeys);
    }

    /** Whether blocks were disconnected. */
    public boolean isReorganization() {
        return !disconnected.isEmpty();
    }
}
