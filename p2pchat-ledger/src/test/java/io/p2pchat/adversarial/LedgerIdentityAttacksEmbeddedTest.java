package io.p2pchat.adversarial;

import io.p2pchat.channel.Arena;

/** ATTACKS against an embedded honest responder (inline crypto, simulated time). */
class LedgerIdentityAttacksEmbeddedTest extends LedgerIdentityAttacks {
    @Override
    protected Arena newArena() {
        return Arena.embedded();
    }
}
