package io.p2pchat.channel;

import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Promise;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.KeyUpdate;

/**
 * The key changes of an established channel's two directions (protocol.md §8.1, §8.2): the
 * symmetric ratchet a direction takes after its record or byte interval, and the key updates either
 * side may send. Holds the channel's {@link RecordWriter} and {@link RecordReader} (each with its
 * {@link DirectionKeys}) and decides, after each record, whether its direction's key changes; a
 * rekey's new secrets come from {@link Rekey} and are installed here.
 *
 * <p>A ratchet a record makes due is taken late: a sent record's before the next record is sealed
 * or after the flush, a received record's after the record was handed on (or before the next one is
 * opened), so that it is never on the path between a write and the wire or between a record's
 * arrival and the application. A key update or a rekey changes the key at once.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link RecordCodecCore}; {@link
 * #keyChanges()} may be read from any thread.
 */
final class Ratchet {
    /** What a record changes about its direction's key after it. */
    enum After {
        /** The ratchet, if the record made it due. */
        NORMAL,
        /** A key update: the next epoch from the ratcheted secret. */
        KEY_UPDATE,
        /** A rekey: the next epoch from the rekey's new secret. */
        REKEY
    }

    private final RecordCodecCore core;
    private final RecordWriter writer;
    private final RecordReader reader;
    private final long ratchetRecords;
    private final long ratchetBytes;
    private final Direction send;
    private final Direction receive;
    private volatile long keyChanges;

    Ratchet(
            RecordCodecCore core,
            RecordWriter writer,
            RecordReader reader,
            long ratchetRecords,
            long ratchetBytes) {
        this.core = core;
        this.writer = writer;
        this.reader = reader;
        this.ratchetRecords = ratchetRecords;
        this.ratchetBytes = ratchetBytes;
        this.send = new Direction(writer.keys(), KeyRotatedEvent.Direction.OUTBOUND, "send");
        this.receive = new Direction(reader.keys(), KeyRotatedEvent.Direction.INBOUND, "receive");
    }

    RecordWriter writer() {
        return writer;
    }

    RecordReader reader() {
        return reader;
    }

    /** Key changes in both directions so far. */
    long keyChanges() {
        return keyChanges;
    }

    /**
     * Applies the key change that follows a received record ({@code rekeyedSecret} for {@link
     * After#REKEY}, owned from here on): a key update or rekey at once, a ratchet after the record
     * was handed on ({@link #applyReceiveRatchet}). Returns false when the channel failed.
     */
    boolean afterReceive(After after, byte[] rekeyedSecret) {
        return receive.afterRecord(after, rekeyedSecret);
    }

    /** Takes a ratchet made due by a received record; returns false when the channel failed. */
    boolean applyReceiveRatchet() {
        return receive.applyPendingRatchet();
    }

    /**
     * Applies the key change that follows a sent record ({@code rekeyedSecret} for {@link
     * After#REKEY}, owned from here on): a key update or rekey at once, a ratchet when the next
     * record is sealed or after the flush ({@link #applySendRatchet}).
     */
    void afterSend(After after, byte[] rekeyedSecret) {
        send.afterRecord(after, rekeyedSecret);
    }

    /** Takes a ratchet made due by a sent record; returns false when the channel failed. */
    boolean applySendRatchet() {
        return send.applyPendingRatchet();
    }

    /** The key changes of one direction; the two directions change keys alike. */
    private final class Direction {
        private final DirectionKeys keys;
        private final KeyRotatedEvent.Direction name;
        private final String label;

        /** The ratchet a record made due, not yet taken. */
        private boolean ratchetPending;

        Direction(DirectionKeys keys, KeyRotatedEvent.Direction name, String label) {
            this.keys = keys;
            this.name = name;
            this.label = label;
        }

        boolean afterRecord(After after, byte[] rekeyedSecret) {
            if (after != After.NORMAL) {
                return change(after, rekeyedSecret);
            }
            ratchetPending = keys.ratchetDue(ratchetRecords, ratchetBytes);
            if (ratchetPending && keys.epochExhausted()) {
                // Refused at once, as if the key had changed here: the channel fails, and a
                // received record is not delivered.
                ratchetPending = false;
                return change(after, null);
            }
            // The ratchet itself waits (see the class comment).
            return true;
        }

        boolean applyPendingRatchet() {
            if (!ratchetPending) {
                return true;
            }
            ratchetPending = false;
            return change(After.NORMAL, null);
        }

        private boolean change(After after, byte[] rekeyedSecret) {
            if (keys.epochExhausted()) {
                core.fail(new RecordException(ErrorCode.KEY_EXHAUSTED, label + " epoch exhausted"));
                return false;
            }
            if (after == After.REKEY) {
                keys.install(keys.epoch() + 1, rekeyedSecret);
            } else {
                keys.ratchet();
            }
            KeyRotatedEvent.Kind kind =
                    after == After.REKEY
                            ? KeyRotatedEvent.Kind.REKEY
                            : after == After.KEY_UPDATE
                                    ? KeyRotatedEvent.Kind.KEY_UPDATE
                                    : KeyRotatedEvent.Kind.RATCHET;
            keyChanges++;
            core.fireUserEvent(new KeyRotatedEvent(name, keys.epoch(), kind));
            return true;
        }
    }

    // ------------------------------------------------------------------ key updates

    /** A received {@code KeyUpdate}: the receive key changes; answers one that asks for it. */
    void onKeyUpdate(KeyUpdate update) {
        if (afterReceive(After.KEY_UPDATE, null) && update.getUpdateRequested()) {
            core.sendControl(keyUpdate(false), After.KEY_UPDATE);
            core.flushNow();
        }
    }

    /** Explicit key update requested through the session; the channel is open. */
    void rotateNow(boolean requestPeer, Promise<Void> promise) {
        ChannelFuture f = core.sendControl(keyUpdate(requestPeer), After.KEY_UPDATE);
        core.flushNow();
        f.addListener(
                future -> {
                    if (future.isSuccess()) {
                        promise.trySuccess(null);
                    } else {
                        promise.tryFailure(future.cause());
                    }
                });
    }

    private static byte[] keyUpdate(boolean requested) {
        return ControlMessage.newBuilder()
                .setKeyUpdate(KeyUpdate.newBuilder().setUpdateRequested(requested))
                .build()
                .toByteArray();
    }

    /** Wipes both directions' keys. */
    void destroy() {
        writer.destroy();
        reader.destroy();
    }
}
