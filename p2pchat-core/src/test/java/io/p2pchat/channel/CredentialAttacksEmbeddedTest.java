package io.p2pchat.channel;

/** Delegated-credential attacks against an embedded honest peer. */
class CredentialAttacksEmbeddedTest extends CredentialAttacks {
    @Override
    protected Arena newArena() {
        return Arena.embedded();
    }
}
