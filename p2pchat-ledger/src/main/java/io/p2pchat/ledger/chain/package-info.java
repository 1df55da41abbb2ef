/**
 * The chain engine behind {@link io.p2pchat.ledger.Ledger}: the block tree and best-chain choice
 * ({@link io.p2pchat.ledger.chain.ChainState}), validation ({@link
 * io.p2pchat.ledger.chain.BlockValidator}, {@link io.p2pchat.ledger.chain.TxRules}), the identity
 * state, the mempool, and the ledger thread ({@link io.p2pchat.ledger.chain.LedgerService}).
 *
 * <p>Not exported by the {@code io.p2pchat.ledger} module: not an API, may change in any release.
 * {@code docs/ledger.md} specifies the rules it implements.
 */
@NullMarked
package io.p2pchat.ledger.chain;

import org.jspecify.annotations.NullMarked;
