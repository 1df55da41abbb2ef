/**
 * p2pchat-ledger: the ledger certificate authority and the node that runs it, on p2pchat-core.
 *
 * <p>Exported: {@link io.p2pchat.ledger} (the replica, mining, transactions, the certificate
 * authority), {@link io.p2pchat.ledger.model} (its values), {@link io.p2pchat.ledger.sync}
 * (replication) and {@link io.p2pchat.node} (a node). The chain engine ({@code
 * io.p2pchat.ledger.chain}) and the block store ({@code io.p2pchat.ledger.store}) are not exported.
 * docs/architecture.md draws the layers.
 */
module io.p2pchat.ledger {
    requires transitive io.p2pchat.core;
    requires org.slf4j;

    exports io.p2pchat.ledger;
    exports io.p2pchat.ledger.model;
    exports io.p2pchat.ledger.sync;
    exports io.p2pchat.node;
}
