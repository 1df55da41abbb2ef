/**
 * A p2pchat node: a ledger replica with a Netty server and client, peer connections, gossip and
 * sync, and a hook for application messages ({@link io.p2pchat.node.NodeApplicationHandler}).
 */
@NullMarked
package io.p2pchat.node;

import org.jspecify.annotations.NullMarked;
