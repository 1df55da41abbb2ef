package io.p2pchat.channel;

/** ATTACKS B2 record-layer rows, embedded arena. */
class RecordAttacksEmbeddedTest extends RecordAttacks {
    @Override
    protected Arena newArena() {
        return Arena.embedded();
    }
}
