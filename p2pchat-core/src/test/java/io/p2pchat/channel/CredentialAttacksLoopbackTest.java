package io.p2pchat.channel;

/** Delegated-credential attacks against an honest peer over real sockets on 127.0.0.1. */
class CredentialAttacksLoopbackTest extends CredentialAttacks {
    @Override
    protected Arena newArena() {
        return Arena.loopback();
    }
}
