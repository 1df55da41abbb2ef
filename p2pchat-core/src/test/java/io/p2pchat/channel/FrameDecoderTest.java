package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    private static ByteBuf frames(int... bodyLengths) {
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < bodyLengths.length; i++) {
            buf.writeInt(bodyLengths[i]);
            for (int j = 0; j < bodyLengths[i]; j++) {
                buf.writeByte(i + j);
            }
        }
        return buf;
    }

    private static List<byte[]> drain(EmbeddedChannel ch) {
        List<byte[]> out = new ArrayList<>();
        ByteBuf f;
        while ((f = ch.readInbound()) != null) {
            out.add(ByteBufUtil.getBytes(f));
            f.release();
        }
        return out;
    }

    @Test
    void decode_splitAtEveryOffset_givesSameFramesAsWhole() {
        ByteBuf whole = frames(5, 17, 300, 6);
        EmbeddedChannel reference = new EmbeddedChannel(new FrameDecoder(1024));
        reference.writeInbound(whole.retainedDuplicate());
        List<byte[]> expected = drain(reference);
        assertThat(expected).hasSize(4);
        for (int cut = 0; cut <= whole.readableBytes(); cut++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
            ch.writeInbound(whole.retainedSlice(0, cut));
            ch.writeInbound(whole.retainedSlice(cut, whole.readableBytes() - cut));
            assertThat(drain(ch)).as("cut at %d", cut).containsExactlyElementsOf(expected);
            assertThat(ch.finishAndReleaseAll()).isFalse();
        }
        whole.release();
        reference.finishAndReleaseAll();
    }

    @Test
    void decode_oneByteAtATime_givesNoFrameUntilComplete() {
        ByteBuf whole = frames(9);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        for (int i = 0; i < whole.readableBytes() - 1; i++) {
            ch.writeInbound(whole.retainedSlice(i, 1));
            assertThat((Object) ch.readInbound()).isNull();
        }
        ch.writeInbound(whole.retainedSlice(whole.readableBytes() - 1, 1));
        assertThat(drain(ch)).hasSize(1);
        whole.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void decode_oversizedLength_failsOnHeaderWithoutWaitingForBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf header = Unpooled.buffer().writeInt(1025);
        assertThatThrownBy(() -> ch.writeInbound(header))
                .isInstanceOf(FrameTooLargeException.class)
                .satisfies(e -> assertThat(ErrorCode.of(e)).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
        assertThat(header.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void decode_hugeDeclaredLength_failsFast() {
        for (long len : new long[] {Integer.MAX_VALUE, 0xFFFF_FFFFL, 0x8000_0000L}) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(65536));
            ByteBuf header = Unpooled.buffer().writeInt((int) len);
            assertThatThrownBy(() -> ch.writeInbound(header))
                    .isInstanceOf(FrameTooLargeException.class);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void decode_oversizedThenValidInSameBuffer_deliversNothingAfterError() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64));
        ByteBuf buf = frames(5).writeInt(100).writeZero(100);
        ByteBuf after = frames(6);
        ByteBuf both = Unpooled.wrappedBuffer(buf, after);
        assertThatThrownBy(() -> ch.writeInbound(both)).isInstanceOf(FrameTooLargeException.class);
        assertThat(drain(ch)).hasSize(1); // the frame before the error only
        ch.writeInbound(frames(5));
        assertThat(drain(ch)).isEmpty(); // nothing after the error, ever
        ch.finishAndReleaseAll();
    }

    @Test
    void decode_lengthBelowHeader_isMalformed() {
        for (int len = 0; len < 5; len++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64));
            ByteBuf buf = Unpooled.buffer().writeInt(len).writeZero(len);
            assertThatThrownBy(() -> ch.writeInbound(buf))
                    .isInstanceOf(MalformedFrameException.class)
                    .satisfies(e -> assertThat(ErrorCode.of(e)).isEqualTo(ErrorCode.MALFORMED));
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void decode_partialFrameAtEndOfStream_isDiscarded() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64));
        ch.writeInbound(frames(10).retainedSlice(0, 8));
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void decode_frameIncludesLengthField() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64));
        ch.writeInbound(frames(5));
        assertThat(drain(ch).get(0)).hasSize(9);
        ch.finishAndReleaseAll();
    }

    @Test
    void constructor_limitBelowHeader_isRejected() {
        assertThatThrownBy(() -> new FrameDecoder(4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxFrameLength");
    }
}
