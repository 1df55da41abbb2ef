/**
 * The ledger's values: blocks and their hashes, transactions, identity records, the network's
 * parameters, the results and events a {@link io.p2pchat.ledger.Ledger} reports, and the hash,
 * Merkle-tree and proof-of-work functions of {@code docs/ledger.md} §3-§5 that define them.
 *
 * <p>Immutable and free of I/O; the {@link io.p2pchat.ledger.Ledger} that holds them is one package
 * up.
 */
@NullMarked
package io.p2pchat.ledger.model;

import org.jspecify.annotations.NullMarked;
