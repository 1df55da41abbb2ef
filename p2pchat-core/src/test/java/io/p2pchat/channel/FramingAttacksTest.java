package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.proto.ChatMessage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ATTACKS B1, bad input and framing, at the full honest pipeline in an {@link EmbeddedChannel}:
 * F-01 (huge lengths, fail fast, no allocation), F-02 (no resync after an error), F-03 (any split),
 * F-04 (coalesced frames), F-05 (zero length and EOF), F-06 (application Protobuf), F-10 (every
 * truncation). Decoder-level variants are in {@code frame.FrameDecoderTest}; F-07/F-08 are in
 * {@link HandshakeAttacks}; F-09 is {@link ChannelFuzzTest}.
 */
@Tag("adversarial")
class FramingAttacksTest {
    /** Records the largest buffer any handler asked for. */
    static final class CountingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        final AtomicInteger largest = new AtomicInteger();

        CountingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            largest.accumulateAndGet(initialCapacity, Math::max);
            return new io.netty.buffer.UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            largest.accumulateAndGet(initialCapacity, Math::max);
            return new io.netty.buffer.UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private static Arena.Duel responderDuel(ByteBufAllocator alloc) {
        Arena arena = Arena.embedded();
        Arena.Duel d = arena.evilInitiator(Bugs.none());
        d.channel.config().setAllocator(alloc);
        return d;
    }

    private static byte[] header(long length) {
        return new byte[] {
            (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
        };
    }

    /** F-01: during the handshake, a length over the limit fails on the 4 header bytes alone. */
    @ParameterizedTest(name = "length {0}")
    @ValueSource(longs = {16406, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL})
    void frame_hugeLengthDuringHandshake_failsOnHeaderWithoutAllocating(long length) {
        CountingAllocator alloc = new CountingAllocator();
        try (Arena.Duel d = responderDuel(alloc)) {
            d.evil.writeRaw(header(length));
            d.assertClosed(ErrorCode.FRAME_TOO_LARGE);
            assertThat(d.evil.awaitAlertCode()).isEqualTo(AlertCode.RESOURCE_LIMIT);
            assertThat(alloc.largest.get()).isLessThan(64 * 1024);
        }
    }

    /** F-01: after the handshake, a length of the session limit + 1 fails the same way. */
    @Test
    void frame_lengthOverSessionLimit_failsOnHeader() throws Exception {
        CountingAllocator alloc = new CountingAllocator();
        try (Arena.Duel d = responderDuel(alloc)) {
            d.evil.handshake();
            d.evil.writeRaw(header(65537));
            d.assertClosed(ErrorCode.FRAME_TOO_LARGE);
            assertThat(d.evil.awaitAlertCode()).isEqualTo(AlertCode.RESOURCE_LIMIT);
            assertThat(alloc.largest.get()).isLessThan(65537);
        }
    }

    /** F-02: valid, oversized, valid in one buffer: nothing after the error, channel closed. */
    @Test
    void frame_oversizedBetweenValidRecords_nothingAfterErrorIsDelivered() throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.handshake();
            byte[] first = d.evil.cork().sendApplication(new byte[] {0}).uncorkedBytes();
            byte[] second = d.evil.cork().sendApplication(new byte[] {1}).uncorkedBytes();
            byte[] bad = HandshakeAttacks.concat(header(70_000), new byte[100]);
            d.evil.writeRaw(HandshakeAttacks.concat(HandshakeAttacks.concat(first, bad), second));
            d.assertClosed(ErrorCode.FRAME_TOO_LARGE);
            assertThat(d.honest.messages).containsExactly(new byte[] {0});
        }
    }

    /** A recorded, deterministic initiator stream: hello, flight 3, data, a key update, a ping. */
    private static byte[] recordedInitiatorStream() throws Exception {
        try (Arena.Duel d =
                Arena.embedded()
                        .evilInitiator(
                                ChannelFuzzTest.Fixture.responderContext(),
                                ChannelFuzzTest.Fixture.initiatorContext(),
                                Bugs.none())) {
            d.evil.handshake();
            for (int i = 0; i < 10; i++) {
                d.evil.sendApplication(("record " + i).getBytes());
            }
            d.evil.sendKeyUpdate(false).sendPing(7).sendApplication("last".getBytes());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            d.evil.sent.forEach(out::writeBytes);
            return out.toByteArray();
        }
    }

    /** What a fresh deterministic responder makes of {@code stream} delivered in {@code chunks}. */
    private static List<Object> replay(byte[] stream, List<Integer> cuts) {
        SecureChannelContext ctx = ChannelFuzzTest.Fixture.responderContext();
        EmbeddedChannel ch = new EmbeddedChannel();
        Probe probe = new Probe(false);
        ctx.addHandlers(ch.pipeline(), Role.RESPONDER);
        ch.pipeline().addLast(probe);
        int from = 0;
        for (int cut : cuts) {
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, from, cut)));
            ch.runPendingTasks();
            from = cut;
        }
        ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, from, stream.length)));
        ch.runPendingTasks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.writeBytes(bytes);
            ReferenceCountUtil.release(o);
        }
        List<Object> result = new ArrayList<>();
        probe.messages.forEach(m -> result.add(new String(m)));
        result.add(Arrays.toString(out.toByteArray()));
        result.add(probe.failureCode());
        ch.finishAndReleaseAll();
        return result;
    }

    /** F-03: a whole session fed one byte at a time gives exactly the whole-buffer output. */
    @Test
    void session_fedOneByteAtATime_givesIdenticalOutput() throws Exception {
        byte[] stream = recordedInitiatorStream();
        List<Object> whole = replay(stream, List.of());
        assertThat(whole).contains("record 0", "last");
        assertThat(whole.get(whole.size() - 1)).isEqualTo(java.util.Optional.empty());
        List<Integer> everyByte = new ArrayList<>();
        for (int i = 1; i < stream.length; i++) {
            everyByte.add(i);
        }
        assertThat(replay(stream, everyByte)).isEqualTo(whole);
    }

    /**
     * F-03: split in two at every offset near each frame boundary and across every header, and at a
     * stride elsewhere (about 400 splits; each is a full handshake).
     */
    @Test
    void session_splitInTwoAtManyOffsets_givesIdenticalOutput() throws Exception {
        byte[] stream = recordedInitiatorStream();
        List<Object> whole = replay(stream, List.of());
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int off = 0; off + 4 <= stream.length; ) {
            int len =
                    ((stream[off] & 0xFF) << 24)
                            | ((stream[off + 1] & 0xFF) << 16)
                            | ((stream[off + 2] & 0xFF) << 8)
                            | (stream[off + 3] & 0xFF);
            for (int k = -3; k <= 12; k++) {
                cuts.add(off + k);
            }
            off += 4 + len;
        }
        for (int i = 0; i < stream.length; i += 23) {
            cuts.add(i);
        }
        cuts.removeIf(c -> c <= 0 || c >= stream.length);
        for (int cut : cuts) {
            assertThat(replay(stream, List.of(cut))).as("split at %d", cut).isEqualTo(whole);
        }
    }

    /** F-04: 300 records, key updates and pings coalesced in one buffer: all in order. */
    @Test
    void records_threeHundredCoalescedInOneBuffer_allDeliveredInOrder() throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.handshake();
            d.evil.cork();
            for (int i = 0; i < 300; i++) {
                d.evil.sendApplication(Integer.toString(i).getBytes());
                if (i % 97 == 0) {
                    d.evil.sendKeyUpdate(false);
                }
                if (i % 131 == 0) {
                    d.evil.sendPing(i);
                }
            }
            d.evil.uncork();
            d.settle();
            assertThat(d.honest.failureCode()).isEmpty();
            assertThat(d.honest.messages).hasSize(300);
            for (int i = 0; i < 300; i++) {
                assertThat(new String(d.honest.messages.get(i))).isEqualTo(Integer.toString(i));
            }
        }
    }

    /** F-05: a zero (or below-header) length, during the handshake and after it. */
    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 4})
    void frame_zeroOrShortLength_isMalformed(int length) throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.writeRaw(HandshakeAttacks.concat(header(length), new byte[length]));
            d.assertClosed(ErrorCode.MALFORMED);
        }
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.handshake();
            d.evil.writeRaw(HandshakeAttacks.concat(header(length), new byte[length]));
            d.assertClosed(ErrorCode.MALFORMED);
        }
    }

    /** F-05: an empty fragment (length 5) after the handshake is shorter than a tag. */
    @Test
    void record_emptyFragment_isBadRecordMac() throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.handshake();
            d.evil.writeRaw(EvilPeer.rawFrame(5, ContentType.APPLICATION_DATA, 1, new byte[0]));
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
        }
    }

    /** F-05: the header cut by EOF, and EOF mid-body, in the handshake and after it. */
    @ParameterizedTest(name = "keep {0} bytes")
    @ValueSource(ints = {1, 2, 3, 4, 8, 9, 20})
    void stream_endsInsideAFrame_isTruncated(int keep) throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.bugs(Bugs.none().frame(FrameOp.Selector.nth(0), FrameOp.truncateTo(keep)));
            d.evil.sendHello();
            d.evil.wire().shutdownOutput();
            d.assertClosed(ErrorCode.TRUNCATED);
        }
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            d.evil.handshake();
            d.evil.sendApplication(new byte[] {1});
            d.evil.bugs(
                    Bugs.none()
                            .frame(
                                    FrameOp.Selector.type(ContentType.APPLICATION_DATA, 1),
                                    FrameOp.truncateTo(keep)));
            d.evil.sendApplication(new byte[] {2});
            d.evil.wire().shutdownOutput();
            d.assertClosed(ErrorCode.TRUNCATED);
            assertThat(d.honest.messages).containsExactly(new byte[] {1});
        }
    }

    /**
     * F-06 (application layer): a bad varint or undecodable chat message on an established channel
     * is MALFORMED, the channel closes, and nothing after it is processed.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"long varint", "undecodable", "too large"})
    void applicationProtobuf_bad_closesChannelAndProcessesNothingAfter(String kind)
            throws Exception {
        try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
            List<Object> decoded = new java.util.concurrent.CopyOnWriteArrayList<>();
            d.channel
                    .pipeline()
                    .addBefore(
                            d.channel.pipeline().context(d.honest).name(),
                            "chat",
                            new DelimitedProtobufDecoder(ChatMessage.getDefaultInstance(), 4096));
            d.channel
                    .pipeline()
                    .addBefore(
                            d.channel.pipeline().context(d.honest).name(),
                            "collect",
                            new io.netty.channel.ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(
                                        io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                    decoded.add(msg);
                                }
                            });
            d.evil.handshake();
            ChatMessage ok = ChatMessage.newBuilder().setText("ok").build();
            ByteArrayOutputStream good = new ByteArrayOutputStream();
            ok.writeDelimitedTo(good);
            byte[] bad;
            ErrorCode expected;
            switch (kind) {
                case "long varint":
                    bad =
                            new byte[] {
                                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1
                            };
                    expected = ErrorCode.MALFORMED;
                    break;
                case "undecodable":
                    bad = new byte[] {3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
                    expected = ErrorCode.MALFORMED;
                    break;
                default:
                    bad = new byte[] {(byte) 0x81, (byte) 0x80, 1}; // 16385 > 4096
                    expected = ErrorCode.FRAME_TOO_LARGE;
                    break;
            }
            d.evil.sendApplication(good.toByteArray());
            d.evil.sendApplication(HandshakeAttacks.concat(bad, good.toByteArray()));
            d.evil.sendApplication(good.toByteArray());
            d.assertClosed(expected);
            assertThat(decoded).containsExactly(ok);
        }
    }

    /** F-10: the initiator hello truncated at every byte (length fixed): a declared error. */
    @Test
    void initiatorHello_truncatedAtEveryByte_isDeclaredError() {
        byte[] hello = ChannelFuzzTest.Fixture.INITIATOR_HELLO;
        for (int n = 0; n < hello.length; n++) {
            try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
                d.evil.writeRaw(
                        EvilPeer.plaintextFrame(ContentType.HELLO, Arrays.copyOf(hello, n)));
                assertThat(d.awaitFailure())
                        .as("hello cut to %d bytes", n)
                        .isIn(
                                ErrorCode.MALFORMED,
                                ErrorCode.UNEXPECTED_MESSAGE,
                                ErrorCode.UNSUPPORTED_VERSION,
                                ErrorCode.NO_COMMON_SUITE,
                                ErrorCode.BAD_KEY_SHARE);
                assertThat(d.honest.errors).allMatch(ChannelFuzzTest::declared);
            }
        }
    }

    /** F-10: the stream cut at every byte of the first frame, then EOF: truncated, nothing else. */
    @Test
    void initiatorHelloFrame_cutAtEveryByteThenEof_needsMoreThenTruncated() {
        byte[] frame =
                EvilPeer.plaintextFrame(ContentType.HELLO, ChannelFuzzTest.Fixture.INITIATOR_HELLO);
        for (int n = 1; n < frame.length; n += (n < 64 ? 1 : 17)) {
            try (Arena.Duel d = responderDuel(ByteBufAllocator.DEFAULT)) {
                d.evil.writeRaw(Arrays.copyOf(frame, n));
                d.settle();
                assertThat(d.honest.isInactive()).as("cut at %d: waiting for more", n).isFalse();
                assertThat(((EmbeddedChannel) d.channel).outboundMessages()).isEmpty();
                d.evil.wire().shutdownOutput();
                d.assertClosed(ErrorCode.TRUNCATED);
            }
        }
    }

    /** F-10: the responder's hello truncated at every byte, at the initiator. */
    @Test
    void responderHello_truncatedAtEveryByte_isDeclaredError() {
        byte[] hello = ChannelFuzzTest.Fixture.RESPONDER_HELLO;
        for (int n = 0; n < hello.length; n++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            Probe probe = new Probe(false);
            ChannelFuzzTest.Fixture.initiatorContext().addHandlers(ch.pipeline(), Role.INITIATOR);
            ch.pipeline().addLast(probe);
            ch.runPendingTasks();
            ch.writeInbound(
                    Unpooled.wrappedBuffer(
                            EvilPeer.plaintextFrame(ContentType.HELLO, Arrays.copyOf(hello, n))));
            ch.runPendingTasks();
            assertThat(probe.failureCode()).as("cut to %d", n).isPresent();
            assertThat(probe.completion().flatMap(c -> c.cause()))
                    .hasValueSatisfying(t -> assertThat(ChannelFuzzTest.declared(t)).isTrue());
            ch.finishAndReleaseAll();
        }
    }

    /**
     * F-10: flight 3's plaintext truncated at every third byte (re-encrypted), at the responder.
     */
    @Test
    void initiatorAuth_truncatedPlaintext_isDeclaredError() {
        byte[] auth = ChannelFuzzTest.Fixture.INITIATOR_AUTH;
        for (int n = 0; n < auth.length; n += 3) {
            EmbeddedChannel ch = new EmbeddedChannel();
            Probe probe = new Probe(false);
            ChannelFuzzTest.Fixture.responderContext().addHandlers(ch.pipeline(), Role.RESPONDER);
            ch.pipeline().addLast(probe);
            ch.writeInbound(
                    Unpooled.wrappedBuffer(
                            EvilPeer.plaintextFrame(
                                    ContentType.HELLO, ChannelFuzzTest.Fixture.INITIATOR_HELLO)));
            ch.runPendingTasks();
            io.p2pchat.channel.RecordWriter w =
                    new io.p2pchat.channel.RecordWriter(ChannelFuzzTest.Fixture.KEY_LENGTH);
            w.install(0, ChannelFuzzTest.Fixture.I_HS.clone());
            ch.writeInbound(
                    w.seal(
                            UnpooledByteBufAllocator.DEFAULT,
                            ContentType.HANDSHAKE,
                            Arrays.copyOf(auth, n)));
            w.destroy();
            ch.runPendingTasks();
            assertThat(probe.failureCode())
                    .as("cut to %d", n)
                    .hasValueSatisfying(
                            c ->
                                    assertThat(c)
                                            .isIn(
                                                    ErrorCode.MALFORMED,
                                                    ErrorCode.BAD_SIGNATURE,
                                                    ErrorCode.BAD_FINISHED));
            ch.finishAndReleaseAll();
        }
    }

    @SuppressWarnings("unused")
    private static final int HANDSHAKE_LIMIT = ChannelSettings.HANDSHAKE_FRAME_LIMIT;
}
