/**
 * Internal implementation of the ledger, its storage and replication. Not API: may change without
 * notice; use {@code io.p2pchat.ledger}, {@code io.p2pchat.ledger.sync} and {@code
 * io.p2pchat.node}.
 */
@NullMarked
package io.p2pchat.internal.node;

import org.jspecify.annotations.NullMarked;
