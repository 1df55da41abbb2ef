package io.p2pchat.adversarial;

import io.p2pchat.channel.Arena;

/** ATTACKS over real 127.0.0.1 sockets, each inside the sanity bracket. */
class LedgerIdentityAttacksLoopbackTest extends LedgerIdentityAttacks {
    @Override
    protected Arena newArena() {
        return Arena.loopback();
    }
}
