package io.p2pchat.ledger.model;

/**
 * What an authenticated peer may do on a node's connection, as decided by a {@link
 * io.p2pchat.ledger.LedgerPeerVerifier}.
 */
public enum PeerAccess {
    /**
     * The peer's key is the current key of an unrevoked identity confirmed on the best chain (and,
     * with address binding, it connects from a registered address): everything is allowed.
     */
    FULL,
    /**
     * The peer proved its key (its PeerId is self-certifying) but is not, or not yet, a confirmed
     * identity on our chain: it may only replicate the ledger (sync, gossip, submit its own
     * registration).
     */
    SYNC_ONLY
}
