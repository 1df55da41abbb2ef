package io.p2pchat.channel;

/**
 * User event fired whenever one direction of a channel moves to a new traffic key.
 *
 * @param direction which half of the channel changed key
 * @param epoch the new key epoch (as carried in record headers)
 * @param kind why the key changed
 */
public record KeyRotatedEvent(Direction direction, long epoch, Kind kind) {
    /** A direction of the channel, seen from this peer. */
    public enum Direction {
        /** Records this peer sends. */
        OUTBOUND,
        /** Records this peer receives. */
        INBOUND
    }

    /** What caused a key change. */
    public enum Kind {
        /** The symmetric ratchet after N records or B bytes under one key. */
        RATCHET,
        /** An explicit key update (a {@code KeyUpdate} control message). */
        KEY_UPDATE,
        /** A fresh ephemeral exchange inside the channel (post-compromise security). */
        REKEY
    }
}
