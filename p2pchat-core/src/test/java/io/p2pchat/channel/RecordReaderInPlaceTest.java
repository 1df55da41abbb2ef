package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RecordReader#openInPlace} and the shared-array paths of seal and open. */
class RecordReaderInPlaceTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private static byte[] secret() {
        byte[] s = new byte[32];
        new Random(7).nextBytes(s);
        return s;
    }

    private static byte[] plaintext(int n) {
        byte[] p = new byte[n];
        new Random(n).nextBytes(p);
        return p;
    }

    private static ByteBuf sealed(byte[] plain) {
        RecordWriter w = new RecordWriter(16);
        w.install(1, secret());
        try {
            return w.seal(ALLOC, ContentType.APPLICATION_DATA, plain);
        } finally {
            w.destroy();
        }
    }

    private static RecordReader reader() {
        return reader(RecordReader.DECRYPT_VIA_SCRATCH);
    }

    private static RecordReader reader(boolean viaScratch) {
        RecordReader r = new RecordReader(16, viaScratch);
        r.install(1, secret());
        return r;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64, 16384, 65515})
    void openInPlace_heapFrame_returnsSliceOfTheFrame(int size) throws Exception {
        openInPlace_heapFrame_returnsSliceOfTheFrame(size, false);
        openInPlace_heapFrame_returnsSliceOfTheFrame(size, true);
    }

    /** The sizes go down and up on one thread, so the scratch array is reused and grown. */
    @Test
    void openInPlace_viaScratch_recordsOfChangingSizes_roundTrip() throws Exception {
        for (int size : new int[] {65515, 1, 16384, 700, 65515}) {
            openInPlace_heapFrame_returnsSliceOfTheFrame(size, true);
        }
    }

    private static void openInPlace_heapFrame_returnsSliceOfTheFrame(int size, boolean viaScratch)
            throws Exception {
        byte[] plain = plaintext(size);
        ByteBuf sealed = sealed(plain);
        ByteBuf frame = Unpooled.buffer(sealed.readableBytes()).writeBytes(sealed);
        sealed.release();
        RecordReader r = reader(viaScratch);
        ByteBuf out = r.openInPlace(ALLOC, frame);
        assertThat(out.array()).isSameAs(frame.array());
        assertThat(frame.isReadable()).isFalse();
        frame.release();
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(plain);
        assertThat(r.sequence()).isEqualTo(1);
        out.release();
        assertThat(frame.refCnt()).isZero();
        r.destroy();
    }

    @Test
    void openInPlace_directFrame_fallsBackToACopy() throws Exception {
        byte[] plain = plaintext(100);
        ByteBuf sealed = sealed(plain);
        ByteBuf frame = Unpooled.directBuffer(sealed.readableBytes()).writeBytes(sealed);
        sealed.release();
        RecordReader r = reader();
        ByteBuf out = r.openInPlace(ALLOC, frame);
        assertThat(out.hasArray()).isTrue();
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(plain);
        out.release();
        frame.release();
        r.destroy();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void openInPlace_everyByteFlipped_failsAndDeliversNothing(boolean viaScratch) {
        byte[] plain = plaintext(40);
        ByteBuf sealed = sealed(plain);
        byte[] wire = ByteBufUtil.getBytes(sealed);
        sealed.release();
        for (int i = 0; i < wire.length; i++) {
            byte[] bad = wire.clone();
            bad[i] ^= 1;
            ByteBuf frame = Unpooled.wrappedBuffer(bad);
            RecordReader r = reader(viaScratch);
            assertThatThrownBy(() -> r.openInPlace(ALLOC, frame))
                    .isInstanceOf(RecordException.class)
                    .satisfies(
                            e ->
                                    assertThat(((RecordException) e).errorCode())
                                            .isIn(ErrorCode.BAD_RECORD_MAC, ErrorCode.WRONG_EPOCH));
            assertThat(frame.refCnt()).isEqualTo(1);
            if (viaScratch) {
                // Nothing of an unauthenticated plaintext reaches the frame.
                assertThat(bad).isEqualTo(flipped(wire, i));
            }
            assertThat(r.sequence()).isZero();
            frame.release();
            r.destroy();
        }
    }

    private static byte[] flipped(byte[] wire, int i) {
        byte[] b = wire.clone();
        b[i] ^= 1;
        return b;
    }

    @Test
    void sealAndOpen_inputAndOutputInOnePooledArray_roundTrip() throws Exception {
        RecordWriter w = new RecordWriter(16);
        w.install(1, secret());
        RecordReader r = reader();
        for (int i = 0; i < 50; i++) {
            byte[] plain = plaintext(1000 + i);
            ByteBuf src = ALLOC.heapBuffer(plain.length).writeBytes(plain);
            ByteBuf frame = w.seal(ALLOC, ContentType.APPLICATION_DATA, src, plain.length);
            src.release();
            ByteBuf heapFrame = ALLOC.heapBuffer(frame.readableBytes()).writeBytes(frame);
            frame.release();
            ByteBuf out = r.open(ALLOC, heapFrame);
            assertThat(ByteBufUtil.getBytes(out)).isEqualTo(plain);
            out.release();
            heapFrame.release();
        }
        w.destroy();
        r.destroy();
    }
}
