package io.p2pchat.channel;

/**
 * ATTACKS B2 handshake rows against an honest peer over real 127.0.0.1 sockets, each inside the
 * sanity bracket.
 */
class HandshakeAttacksLoopbackTest extends HandshakeAttacks {
    @Override
    protected Arena newArena() {
        return Arena.loopback();
    }
}
