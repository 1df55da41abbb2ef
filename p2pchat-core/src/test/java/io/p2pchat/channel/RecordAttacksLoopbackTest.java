package io.p2pchat.channel;

/** ATTACKS B2 record-layer rows, loopback arena. */
class RecordAttacksLoopbackTest extends RecordAttacks {
    @Override
    protected Arena newArena() {
        return Arena.loopback();
    }
}
