package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The buffers of {@link FrameDecoder}: each frame is a heap buffer of its own, of exactly its size,
 * whatever the input and however it is split.
 */
class FrameDecoderCumulationTest {
    private static byte[] frames(int count, int bodyLength) {
        Random r = new Random(42);
        byte[] all = new byte[count * (4 + bodyLength)];
        for (int i = 0; i < count; i++) {
            int at = i * (4 + bodyLength);
            all[at + 3] = (byte) bodyLength;
            all[at + 2] = (byte) (bodyLength >>> 8);
            byte[] body = new byte[bodyLength];
            r.nextBytes(body);
            System.arraycopy(body, 0, all, at + 4, bodyLength);
        }
        return all;
    }

    @Test
    void decode_directInputSplitAtEveryBoundary_givesHeapFramesAndReleasesEverything() {
        byte[] wire = frames(3, 300);
        for (int split = 1; split < wire.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
            ByteBuf a = Unpooled.directBuffer(split).writeBytes(wire, 0, split);
            ByteBuf b =
                    Unpooled.directBuffer(wire.length - split)
                            .writeBytes(wire, split, wire.length - split);
            ch.writeInbound(a);
            ch.writeInbound(b);
            List<ByteBuf> out = new ArrayList<>();
            for (ByteBuf f; (f = ch.readInbound()) != null; ) {
                out.add(f);
            }
            assertThat(out).hasSize(3);
            for (int i = 0; i < 3; i++) {
                ByteBuf f = out.get(i);
                assertThat(f.hasArray()).isTrue();
                assertThat(ByteBufUtil.getBytes(f))
                        .isEqualTo(java.util.Arrays.copyOfRange(wire, i * 304, (i + 1) * 304));
                f.release();
            }
            assertThat(a.refCnt()).isZero();
            assertThat(b.refCnt()).isZero();
            assertThat(ch.finish()).isFalse();
        }
    }

    @Test
    void decode_whileEarlierFramesAreHeld_doesNotOverwriteThem() {
        byte[] wire = frames(40, 1000);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(2048));
        List<ByteBuf> held = new ArrayList<>();
        for (int at = 0; at < wire.length; at += 777) {
            int n = Math.min(777, wire.length - at);
            ch.writeInbound(Unpooled.directBuffer(n).writeBytes(wire, at, n));
            for (ByteBuf f; (f = ch.readInbound()) != null; ) {
                held.add(f); // kept, as a handshake holds frames while crypto runs
            }
        }
        assertThat(held).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(ByteBufUtil.getBytes(held.get(i)))
                    .isEqualTo(java.util.Arrays.copyOfRange(wire, i * 1004, (i + 1) * 1004));
            held.get(i).release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void decode_heapInput_isCopiedIntoTheDecodersOwnBuffer() {
        // Frames are decrypted in place, so they must never alias a buffer someone else holds.
        byte[] wire = frames(1, 50);
        ByteBuf in = Unpooled.buffer(wire.length).writeBytes(wire);
        in.retain(); // a handler in front (a capture) keeps a reference
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ch.writeInbound(in);
        ByteBuf f = ch.readInbound();
        assertThat(f.array()).isNotSameAs(in.array());
        f.release();
        assertThat(in.refCnt()).isEqualTo(1);
        in.release();
        assertThat(ch.finish()).isFalse();
    }

    /** A 64 KiB frame arriving in many reads is completed in one buffer of exactly its size. */
    @Test
    void decode_largeFrameInManyReads_isOneExactHeapBuffer() {
        byte[] wire = frames(2, 65_000);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(65_536));
        for (int at = 0; at < wire.length; at += 7_777) {
            int n = Math.min(7_777, wire.length - at);
            ch.writeInbound(Unpooled.directBuffer(n).writeBytes(wire, at, n));
        }
        for (int i = 0; i < 2; i++) {
            ByteBuf f = ch.readInbound();
            assertThat(f.hasArray()).isTrue();
            assertThat(f.capacity()).isEqualTo(65_004);
            assertThat(ByteBufUtil.getBytes(f))
                    .isEqualTo(java.util.Arrays.copyOfRange(wire, i * 65_004, (i + 1) * 65_004));
            f.release();
        }
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    /** Without auto-read, a read that completes no frame asks for the next one. */
    @Test
    void readComplete_withoutFrameAndAutoReadOff_requestsMore() {
        java.util.concurrent.atomic.AtomicInteger reads =
                new java.util.concurrent.atomic.AtomicInteger();
        EmbeddedChannel ch =
                new EmbeddedChannel(
                        new io.netty.channel.ChannelOutboundHandlerAdapter() {
                            @Override
                            public void read(io.netty.channel.ChannelHandlerContext ctx) {
                                reads.incrementAndGet();
                                ctx.read();
                            }
                        },
                        new FrameDecoder(1024));
        ch.config().setAutoRead(false);
        int before = reads.get();
        byte[] wire = frames(1, 100);
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, 50));
        assertThat(reads.get()).isEqualTo(before + 1);
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 50, wire.length - 50));
        assertThat(reads.get()).isEqualTo(before + 1); // a frame came out: no extra read
        ByteBuf f = ch.readInbound();
        f.release();
        assertThat(ch.finish()).isFalse();
    }

    /** Removed from the pipeline, the decoder hands the bytes it holds to the next handler. */
    @Test
    void handlerRemoved_withPartialFrame_passesItsBytesOn() {
        FrameDecoder decoder = new FrameDecoder(1024);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        byte[] wire = frames(1, 100);
        ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, 30));
        assertThat((Object) ch.readInbound()).isNull();
        ch.pipeline().remove(decoder);
        ByteBuf rest = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(rest)).isEqualTo(java.util.Arrays.copyOf(wire, 30));
        rest.release();
        assertThat(ch.finish()).isFalse();
    }
}
