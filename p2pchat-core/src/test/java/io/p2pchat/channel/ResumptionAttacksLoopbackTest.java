package io.p2pchat.channel;

/** Resumption attacks against an honest peer over loopback sockets. */
class ResumptionAttacksLoopbackTest extends ResumptionAttacks {
    @Override
    protected Arena newArena() {
        return Arena.loopback();
    }
}
