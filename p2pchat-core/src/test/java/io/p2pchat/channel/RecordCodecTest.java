package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.p2pchat.testing.EmbeddedPair;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCodecTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

    /** A fresh established pair whose tap holds back initiator data frames for the test. */
    private static EmbeddedPair established() {
        EmbeddedPair pair = EmbeddedPair.of("alice", "bob");
        pair.handshake().orElseThrow();
        return pair;
    }

    /** Captures the next frames the initiator sends, instead of delivering them. */
    private static List<ByteBuf> captureInitiatorFrames(
            EmbeddedPair pair, int count, byte[]... messages) {
        List<ByteBuf> captured = new ArrayList<>();
        for (byte[] m : messages) {
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(m));
        }
        Object msg;
        while ((msg = pair.initiator.readOutbound()) != null) {
            captured.add((ByteBuf) msg);
        }
        assertThat(captured).hasSize(count);
        return captured;
    }

    @Test
    void record_everyBitFlipped_closesWithBadRecordMacAndDeliversNothing() {
        int bits;
        try (EmbeddedPair probe = established()) {
            ByteBuf frame = captureInitiatorFrames(probe, 1, HELLO).get(0);
            bits = frame.readableBytes() * 8;
            frame.release();
        }
        for (int b = 0; b < bits; b++) {
            final int bit = b;
            try (EmbeddedPair pair = established()) {
                ByteBuf frame = captureInitiatorFrames(pair, 1, HELLO).get(0);
                ByteBuf flipped = EmbeddedPair.flipBit(frame, bit);
                frame.release();
                pair.responder.writeInbound(flipped);
                pair.pump();
                assertThat(pair.responderApp.messages).as("bit %d", bit).isEmpty();
                if (bit < 32 && pair.responder.isActive()) {
                    // A longer declared length waits for bytes that never come: the connection
                    // then ends without an authenticated close.
                    EmbeddedPair.remoteClose(pair.responder);
                    assertThat(pair.responderApp.eventsOf(SecureChannelClosedEvent.class))
                            .as("bit %d", bit)
                            .singleElement()
                            .satisfies(e -> assertThat(e.reason()).contains(ErrorCode.TRUNCATED));
                    continue;
                }
                ErrorCode code =
                        pair.responderApp
                                .failureCode()
                                .orElseThrow(() -> new AssertionError("no failure for bit " + bit));
                // Bits of the length field break framing; bits of the type make the record
                // unexpected; bits of the epoch give WRONG_EPOCH; all others fail the tag.
                if (bit < 32) {
                    assertThat(code)
                            .as("bit %d", bit)
                            .isIn(
                                    ErrorCode.FRAME_TOO_LARGE,
                                    ErrorCode.MALFORMED,
                                    ErrorCode.BAD_RECORD_MAC);
                } else if (bit < 40) {
                    assertThat(code)
                            .as("bit %d", bit)
                            .isIn(ErrorCode.UNEXPECTED_MESSAGE, ErrorCode.BAD_RECORD_MAC);
                } else if (bit < 72) {
                    assertThat(code).as("bit %d", bit).isEqualTo(ErrorCode.WRONG_EPOCH);
                } else {
                    assertThat(code).as("bit %d", bit).isEqualTo(ErrorCode.BAD_RECORD_MAC);
                }
                assertThat(pair.responder.isActive()).as("bit %d", bit).isFalse();
            }
        }
    }

    @Test
    void record_lengthFieldBitFlip_neverDeliversData() {
        // A grown length waits for bytes that never come; the channel ends truncated.
        try (EmbeddedPair pair = established()) {
            ByteBuf frame = captureInitiatorFrames(pair, 1, HELLO).get(0);
            ByteBuf flipped = EmbeddedPair.flipBit(frame, 24); // length += 128
            frame.release();
            pair.responder.writeInbound(flipped);
            pair.pump();
            assertThat(pair.responderApp.messages).isEmpty();
        }
    }

    @Test
    void record_replayed_closesWithBadRecordMac() {
        try (EmbeddedPair pair = established()) {
            ByteBuf frame = captureInitiatorFrames(pair, 1, HELLO).get(0);
            EmbeddedPair.deliver(pair.responder, frame.retainedDuplicate());
            EmbeddedPair.deliver(pair.responder, frame);
            pair.pump();
            assertThat(pair.responderApp.messages).hasSize(1);
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    @Test
    void record_reordered_deliversPrefixThenCloses() {
        try (EmbeddedPair pair = established()) {
            List<ByteBuf> frames =
                    captureInitiatorFrames(pair, 3, "0".getBytes(), "1".getBytes(), "2".getBytes());
            EmbeddedPair.deliver(pair.responder, frames.get(0));
            EmbeddedPair.deliver(pair.responder, frames.get(2));
            EmbeddedPair.deliver(pair.responder, frames.get(1));
            pair.pump();
            assertThat(pair.responderApp.messages).containsExactly("0".getBytes());
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
    }

    @Test
    void record_dropped_nextRecordFails() {
        try (EmbeddedPair pair = established()) {
            List<ByteBuf> frames = captureInitiatorFrames(pair, 2, "0".getBytes(), "1".getBytes());
            frames.get(0).release();
            pair.responder.writeInbound(frames.get(1));
            pair.pump();
            assertThat(pair.responderApp.messages).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
    }

    @Test
    void record_fromAnotherSession_closesWithBadRecordMac() {
        ByteBuf foreign;
        try (EmbeddedPair other = established()) {
            foreign = captureInitiatorFrames(other, 1, HELLO).get(0);
        }
        try (EmbeddedPair pair = established()) {
            pair.responder.writeInbound(foreign);
            pair.pump();
            assertThat(pair.responderApp.messages).isEmpty();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 8, 9, 20, 29})
    void record_truncatedThenConnectionEnds_isReportedTruncated(int keep) {
        try (EmbeddedPair pair = established()) {
            ByteBuf frame = captureInitiatorFrames(pair, 1, HELLO).get(0);
            pair.responder.writeInbound(
                    frame.retainedSlice(
                            frame.readerIndex(), Math.min(keep, frame.readableBytes() - 1)));
            frame.release();
            EmbeddedPair.remoteClose(pair.responder);
            assertThat(pair.responderApp.messages).isEmpty();
            assertThat(pair.responderApp.eventsOf(SecureChannelClosedEvent.class))
                    .singleElement()
                    .satisfies(e -> assertThat(e.reason()).contains(ErrorCode.TRUNCATED));
        }
    }

    @Test
    void close_sendsAuthenticatedClose_peerSeesCleanEnd() {
        try (EmbeddedPair pair = established()) {
            pair.initiator.close();
            pair.pump();
            assertThat(pair.responderApp.eventsOf(SecureChannelClosedEvent.class))
                    .singleElement()
                    .satisfies(e -> assertThat(e.isClean()).isTrue());
            assertThat(pair.responder.isActive()).isFalse();
        }
    }

    @Test
    void record_wrongEpoch_isRejectedBeforeDecryption() {
        try (EmbeddedPair pair = established()) {
            ByteBuf frame = captureInitiatorFrames(pair, 1, HELLO).get(0);
            frame.setInt(frame.readerIndex() + 5, 2);
            pair.responder.writeInbound(frame);
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.WRONG_EPOCH);
        }
    }

    @Test
    void record_handshakeTypeAfterHandshake_isUnexpected() {
        try (EmbeddedPair pair = established()) {
            ByteBuf frame = Unpooled.buffer();
            frame.writeInt(5 + 3).writeByte(ContentType.HELLO).writeInt(0).writeBytes(new byte[3]);
            pair.responder.writeInbound(frame);
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    @Test
    void write_beforeHandshake_isQueuedAndDeliveredAfter() {
        try (EmbeddedPair pair = EmbeddedPair.of("alice", "bob")) {
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(HELLO));
            pair.handshake().orElseThrow();
            assertThat(pair.responderApp.messages).containsExactly(HELLO);
        }
    }

    @Test
    void write_nonByteBuf_failsAndIsReleased() {
        try (EmbeddedPair pair = established()) {
            var f = pair.initiator.writeAndFlush("not a buffer");
            assertThat(f.cause())
                    .isInstanceOf(io.netty.handler.codec.UnsupportedMessageTypeException.class);
        }
    }

    @Test
    void write_largerThanPeerRecord_isSplitAndReassembledInOrder() {
        try (EmbeddedPair pair = established()) {
            byte[] big = new byte[200_000];
            new java.util.Random(7).nextBytes(big);
            pair.sendFromInitiator(big);
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            pair.responderApp.messages.forEach(all::writeBytes);
            assertThat(pair.responderApp.messages).hasSizeGreaterThan(1);
            assertThat(all.toByteArray()).isEqualTo(big);
        }
    }

    @Test
    void session_afterClose_refusesExport() {
        try (EmbeddedPair pair = established()) {
            SecureSession s = SecureSession.of(pair.initiator).orElseThrow();
            pair.initiator.close();
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> s.exportKeyingMaterial("x", new byte[0], 16))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    // ------------------------------------------------------------------ coalescing

    private static byte[] stream(List<byte[]> parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** The largest record plaintext for the default 64 KiB frames. */
    private static int maxPlaintext(EmbeddedPair pair) {
        return io.p2pchat.channel.RecordFormat.maxPlaintext(64 * 1024);
    }

    /** Writes queued before one flush share a record; every promise completes. */
    @Test
    void writes_queuedBeforeOneFlush_shareOneRecordAndAllPromisesSucceed() {
        try (EmbeddedPair pair = established()) {
            List<io.netty.channel.ChannelFuture> futures = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                byte[] m = ("message " + i).getBytes(StandardCharsets.UTF_8);
                sent.add(m);
                futures.add(pair.initiator.write(Unpooled.wrappedBuffer(m)));
            }
            assertThat(pair.initiator.outboundMessages()).isEmpty(); // nothing sealed yet
            assertThat(futures).noneMatch(java.util.concurrent.Future::isDone);
            pair.initiator.flush();
            assertThat(pair.initiator.outboundMessages()).hasSize(1);
            pair.pump();
            assertThat(futures).allMatch(io.netty.channel.ChannelFuture::isSuccess);
            assertThat(pair.responderApp.messages).hasSize(1);
            assertThat(pair.responderApp.messages.get(0)).isEqualTo(stream(sent));
        }
    }

    /** Queued bytes fill records to the peer's limit, in order, straddling writes as needed. */
    @ParameterizedTest
    @ValueSource(ints = {1, 1000, 16 * 1024, 65_000, 65_515, 65_516, 200_000})
    void writes_ofAnySize_areSealedIntoFullRecordsInOrder(int size) {
        try (EmbeddedPair pair = established()) {
            int max = maxPlaintext(pair);
            java.util.Random random = new java.util.Random(size);
            List<byte[]> sent = new ArrayList<>();
            List<io.netty.channel.ChannelFuture> futures = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                byte[] m = new byte[size + i];
                random.nextBytes(m);
                sent.add(m);
                futures.add(
                        pair.initiator.write(pair.initiator.alloc().directBuffer().writeBytes(m)));
            }
            pair.initiator.flush();
            long total = sent.stream().mapToLong(m -> m.length).sum();
            assertThat(pair.initiator.outboundMessages()).hasSize((int) ((total + max - 1) / max));
            pair.pump();
            assertThat(futures).allMatch(io.netty.channel.ChannelFuture::isSuccess);
            assertThat(stream(pair.responderApp.messages)).isEqualTo(stream(sent));
            for (int i = 0; i < pair.responderApp.messages.size() - 1; i++) {
                assertThat(pair.responderApp.messages.get(i)).hasSize(max);
            }
        }
    }

    /** One write flushed alone stays one record, sealed straight from its buffer. */
    @Test
    void write_flushedAlone_isOneRecord() {
        try (EmbeddedPair pair = established()) {
            for (int i = 0; i < 3; i++) {
                pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(HELLO));
            }
            pair.pump();
            assertThat(pair.responderApp.messages).hasSize(3).allMatch(m -> m.length == 5);
        }
    }

    /** Unflushed writes count toward writability and are released when the channel fails. */
    @Test
    void writes_queued_countTowardWritabilityAndAreFailedOnClose() {
        try (EmbeddedPair pair = established()) {
            pair.initiator
                    .config()
                    .setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1024, 4096));
            ByteBuf big = Unpooled.buffer(8192).writeZero(8192);
            io.netty.channel.ChannelFuture f = pair.initiator.write(big);
            assertThat(pair.initiator.isWritable()).isFalse();
            assertThat(pair.initiator.unsafe().outboundBuffer().totalPendingWriteBytes())
                    .isGreaterThanOrEqualTo(8192);
            pair.initiator.flush();
            pair.initiator.runPendingTasks();
            assertThat(f.isSuccess()).isTrue();
            ByteBuf unflushed = Unpooled.buffer(100).writeZero(100);
            io.netty.channel.ChannelFuture g = pair.initiator.write(unflushed);
            pair.initiator
                    .pipeline()
                    .fireExceptionCaught(
                            new RecordException(ErrorCode.INTERNAL_ERROR, "test failure"));
            pair.initiator.runPendingTasks();
            assertThat(g.isDone()).isTrue();
            assertThat(g.isSuccess()).isFalse();
            assertThat(unflushed.refCnt()).isZero();
        }
    }

    /**
     * What still waits when the connection ends (an unflushed write, a requested rekey) fails with
     * a ClosedChannelException, built only then.
     */
    @Test
    void connectionEnd_failsUnflushedWriteAndRequestedRekeyWithClosedChannel() {
        try (EmbeddedPair pair = established()) {
            SecureSession session = SecureSession.of(pair.initiator).orElseThrow();
            io.netty.util.concurrent.Future<Void> rekey = session.rekey();
            pair.initiator.runPendingTasks();
            ByteBuf unflushed = Unpooled.buffer(100).writeZero(100);
            io.netty.channel.ChannelFuture write = pair.initiator.write(unflushed);
            assertThat(rekey.isDone()).isFalse();
            assertThat(write.isDone()).isFalse();
            EmbeddedPair.remoteClose(pair.initiator);
            assertThat(write.cause()).isInstanceOf(java.nio.channels.ClosedChannelException.class);
            assertThat(rekey.cause()).isInstanceOf(java.nio.channels.ClosedChannelException.class);
            assertThat(unflushed.refCnt()).isZero();
        }
    }

    /** close() sends writes made before it, flushed or not, ahead of the close alert. */
    @Test
    void close_sealsUnflushedWritesBeforeTheCloseAlert() {
        try (EmbeddedPair pair = established()) {
            pair.initiator.write(Unpooled.wrappedBuffer(HELLO));
            pair.initiator.write(Unpooled.wrappedBuffer(HELLO));
            pair.initiator.close();
            pair.pump();
            assertThat(stream(pair.responderApp.messages)).isEqualTo(stream(List.of(HELLO, HELLO)));
            assertThat(pair.responderApp.eventsOf(SecureChannelClosedEvent.class))
                    .singleElement()
                    .satisfies(e -> assertThat(e.reason()).isEmpty());
        }
    }

    /** Both record digests agree however the writes were batched. */
    @Test
    void recordDigest_withBatchedWrites_matchesOnBothSides() {
        EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(io.p2pchat.testing.TestIdentities.get("alice"))
                                .recordDigest(true)
                                .build(),
                        EmbeddedPair.context(io.p2pchat.testing.TestIdentities.get("bob"))
                                .recordDigest(true)
                                .build());
        try (pair) {
            pair.handshake().orElseThrow();
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i <= round; i++) {
                    pair.initiator.write(Unpooled.wrappedBuffer(HELLO));
                    pair.responder.write(Unpooled.wrappedBuffer(new byte[70_000]));
                }
                pair.initiator.flush();
                pair.responder.flush();
                pair.pump();
            }
            assertThat(
                            SecureSession.of(pair.initiator)
                                    .orElseThrow()
                                    .recordDigest()
                                    .orElseThrow()
                                    .fingerprint())
                    .isEqualTo(
                            SecureSession.of(pair.responder)
                                    .orElseThrow()
                                    .recordDigest()
                                    .orElseThrow()
                                    .fingerprint());
        }
    }
}
