/**
 * Ledger replication over secure channels: the blockchain CA handler ({@link
 * io.p2pchat.ledger.sync.LedgerSyncHandler}) that every node connection carries, and its shared
 * state ({@link io.p2pchat.ledger.sync.LedgerSync}).
 *
 * <p>See {@code docs/ledger.md}, section "Replication".
 */
@NullMarked
package io.p2pchat.ledger.sync;

import org.jspecify.annotations.NullMarked;
