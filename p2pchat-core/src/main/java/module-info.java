/**
 * p2pchat-core: secure, mutually authenticated peer-to-peer channels for Netty.
 *
 * <p>Exported: {@link io.p2pchat.channel} (the channel: context, handlers, session, errors,
 * events), {@link io.p2pchat.identity} (keys, ids, the identity file) and {@link io.p2pchat.verify}
 * (peer verifiers). The primitives ({@code io.p2pchat.crypto}) and the file and rate helpers
 * ({@code io.p2pchat.util}) are exported to p2pchat-ledger only. docs/architecture.md draws the
 * layers.
 */
// "module": the qualified exports name io.p2pchat.ledger, built after this module.
// "requires-(transitive-)automatic": protobuf-java is an automatic module (no module-info).
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module io.p2pchat.core {
    requires transitive com.google.protobuf;
    requires transitive io.netty.buffer;
    requires transitive io.netty.codec;
    requires transitive io.netty.common;
    requires transitive io.netty.handler;
    requires transitive io.netty.transport;
    requires transitive io.p2pchat.proto;
    requires transitive org.jspecify;
    requires org.bouncycastle.pkix;
    requires org.bouncycastle.provider;
    requires org.bouncycastle.util;
    requires org.slf4j;

    exports io.p2pchat.channel;
    exports io.p2pchat.identity;
    exports io.p2pchat.verify;
    exports io.p2pchat.crypto to
            io.p2pchat.ledger;
    exports io.p2pchat.util to
            io.p2pchat.ledger;
}
