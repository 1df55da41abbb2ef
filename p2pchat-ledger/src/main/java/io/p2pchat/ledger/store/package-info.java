/**
 * Block storage: the crash-safe append-only block file ({@link
 * io.p2pchat.ledger.store.FileBlockStore}, format in {@code docs/ledger.md} §9), its in-memory
 * twin, the data-directory lock, and {@link io.p2pchat.ledger.store.BlockData}, a block as stored.
 *
 * <p>Not exported by the {@code io.p2pchat.ledger} module: not an API, may change in any release.
 */
@NullMarked
package io.p2pchat.ledger.store;

import org.jspecify.annotations.NullMarked;
