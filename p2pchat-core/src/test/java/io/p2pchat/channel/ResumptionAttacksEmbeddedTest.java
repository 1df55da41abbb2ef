package io.p2pchat.channel;

/** Resumption attacks against an embedded honest peer. */
class ResumptionAttacksEmbeddedTest extends ResumptionAttacks {
    @Override
    protected Arena newArena() {
        return Arena.embedded();
    }
}
