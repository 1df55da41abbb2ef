package io.p2pchat.channel;

/** ATTACKS B2 handshake rows against an embedded honest peer (deterministic, simulated time). */
class HandshakeAttacksEmbeddedTest extends HandshakeAttacks {
    @Override
    protected Arena newArena() {
        return Arena.embedded();
    }
}
