package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.p2pchat.crypto.AesGcm;

/**
 * The sending half of the record layer: seals plaintext into frames under the current traffic key,
 * counts records and bytes per key, and ratchets.
 *
 * <p>Output frames are heap buffers so that the JDK's AES-GCM works on {@code byte[]} (its fast
 * path); the transport copies them to direct memory on write.
 *
 * <p>The key, epoch, sequence number and per-key counters are a package-private {@code
 * DirectionKeys}, the same state {@link RecordReader} keeps for the other direction, so that the
 * two ends change keys alike.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: used on the channel's event loop only (or by a handshake before it publishes).
 */
public final class RecordWriter {
    private final DirectionKeys keys;
    private final byte[] header = new byte[RecordFormat.HEADER_LENGTH];

    /** Creates a writer for keys of {@code keyLength} bytes (16 or 32). */
    public RecordWriter(int keyLength) {
        this.keys = new DirectionKeys(keyLength);
    }

    /**
     * Installs the traffic secret of {@code newEpoch}, taking ownership of the array, and wipes the
     * previous secret and key.
     */
    public void install(long newEpoch, byte[] secret) {
        keys.install(newEpoch, secret);
    }

    /** Moves to the next epoch with the ratcheted secret. */
    public void ratchet() {
        keys.ratchet();
    }

    /** Whether the next epoch would pass {@link RecordFormat#MAX_EPOCH}. */
    public boolean epochExhausted() {
        return keys.epochExhausted();
    }

    /** Whether the limits say the key must change after the last record. */
    public boolean ratchetDue(long maxRecords, long maxBytes) {
        return keys.ratchetDue(maxRecords, maxBytes);
    }

    /** The current epoch, or -1 before the first key. */
    public long epoch() {
        return keys.epoch();
    }

    /** Records sealed under the current key. */
    public long recordsInEpoch() {
        return keys.recordsInEpoch();
    }

    /** The key state of this direction, for the record layer's key changes ({@link Ratchet}). */
    DirectionKeys keys() {
        return keys;
    }

    /** Whether a key is installed. */
    public boolean hasKey() {
        return keys.hasKey();
    }

    /**
     * Seals {@code len} readable bytes of {@code src} (which is not released, and whose reader
     * index is advanced) into a new frame of {@code contentType}.
     *
     * @return the frame; the caller owns it
     */
    public ByteBuf seal(ByteBufAllocator alloc, int contentType, ByteBuf src, int len) {
        int fragment = len + AesGcm.TAG_LENGTH;
        ByteBuf out = alloc.heapBuffer(RecordFormat.HEADER_LENGTH + fragment);
        boolean ok = false;
        try {
            writeHeader(contentType, RecordFormat.COUNTED_HEADER_LENGTH + fragment);
            byte[] outArray = out.array();
            int outOff = out.arrayOffset() + out.writerIndex();
            System.arraycopy(header, 0, outArray, outOff, RecordFormat.HEADER_LENGTH);
            int written;
            if (src.hasArray() && src.array() != outArray) {
                written =
                        encrypt(
                                src.array(),
                                src.arrayOffset() + src.readerIndex(),
                                len,
                                outArray,
                                outOff + RecordFormat.HEADER_LENGTH);
            } else {
                // Direct input, or heap input in the same backing array as the output (pooled
                // allocators carve both from one chunk, and the JDK then copies the whole array):
                // stage it in the output, then encrypt in place at one offset, the fast path.
                src.getBytes(src.readerIndex(), outArray, outOff + RecordFormat.HEADER_LENGTH, len);
                written =
                        encrypt(
                                outArray,
                                outOff + RecordFormat.HEADER_LENGTH,
                                len,
                                outArray,
                                outOff + RecordFormat.HEADER_LENGTH);
            }
            src.skipBytes(len);
            out.writerIndex(out.writerIndex() + RecordFormat.HEADER_LENGTH + written);
            keys.advance(len);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    /**
     * Starts a frame for {@code len} bytes of plaintext that the caller writes into it: a new heap
     * buffer with room for header, plaintext and tag, whose writer index is at the plaintext. Fill
     * it with exactly {@code len} bytes, then call {@link #sealFrame}. Lets the record layer gather
     * several application writes into one record with a single copy, encrypted in place.
     *
     * @return the frame under construction; the caller owns it
     */
    public ByteBuf newFrame(ByteBufAllocator alloc, int len) {
        ByteBuf out = alloc.heapBuffer(RecordFormat.HEADER_LENGTH + len + AesGcm.TAG_LENGTH);
        out.writerIndex(out.writerIndex() + RecordFormat.HEADER_LENGTH);
        return out;
    }

    /**
     * Seals, in place, a frame from {@link #newFrame} whose plaintext has been written: fills in
     * the header, encrypts the bytes after it and appends the tag.
     */
    public void sealFrame(ByteBuf frame, int contentType) {
        int start = frame.readerIndex();
        int len = frame.writerIndex() - start - RecordFormat.HEADER_LENGTH;
        writeHeader(contentType, RecordFormat.COUNTED_HEADER_LENGTH + len + AesGcm.TAG_LENGTH);
        byte[] array = frame.array();
        int off = frame.arrayOffset() + start;
        System.arraycopy(header, 0, array, off, RecordFormat.HEADER_LENGTH);
        int body = off + RecordFormat.HEADER_LENGTH;
        // Same array, same offset: the JDK's in-place fast path.
        int written = encrypt(array, body, len, array, body);
        frame.writerIndex(start + RecordFormat.HEADER_LENGTH + written);
        keys.advance(len);
    }

    /** Seals a small plaintext given as an array. */
    public ByteBuf seal(ByteBufAllocator alloc, int contentType, byte[] plaintext) {
        ByteBuf src = io.netty.buffer.Unpooled.wrappedBuffer(plaintext);
        try {
            return seal(alloc, contentType, src, plaintext.length);
        } finally {
            src.release();
        }
    }

    /** Frames a plaintext HELLO or alert (epoch 0, no encryption). */
    public static ByteBuf plaintextFrame(ByteBufAllocator alloc, int contentType, byte[] payload) {
        ByteBuf out = alloc.heapBuffer(RecordFormat.HEADER_LENGTH + payload.length);
        out.writeInt(RecordFormat.COUNTED_HEADER_LENGTH + payload.length);
        out.writeByte(contentType);
        out.writeInt(0);
        out.writeBytes(payload);
        return out;
    }

    private void writeHeader(int contentType, int length) {
        long epoch = keys.epoch();
        header[0] = (byte) (length >>> 24);
        header[1] = (byte) (length >>> 16);
        header[2] = (byte) (length >>> 8);
        header[3] = (byte) length;
        header[4] = (byte) contentType;
        header[5] = (byte) (epoch >>> 24);
        header[6] = (byte) (epoch >>> 16);
        header[7] = (byte) (epoch >>> 8);
        header[8] = (byte) epoch;
    }

    /** Runs AES-GCM over one record body with the current key, sequence number and header. */
    private int encrypt(byte[] in, int inOff, int len, byte[] out, int outOff) {
        return keys.aead()
                .seal(
                        keys.sequence(),
                        header,
                        0,
                        RecordFormat.HEADER_LENGTH,
                        in,
                        inOff,
                        len,
                        out,
                        outOff);
    }

    /** Sets the sequence number; for tests of exhaustion only. */
    public void setSequenceForTesting(long value) {
        keys.setSequence(value);
    }

    /** The traffic secret's nonce for {@code seq}; for tests of the nonce construction. */
    public byte[] nonceForTesting(long s) {
        return keys.aead().nonceForTesting(s);
    }

    /** The next sequence number. */
    public long sequence() {
        return keys.sequence();
    }

    /** A copy of the current traffic secret; for tests that check keys are gone. */
    public byte[] trafficSecretForTesting() {
        return keys.trafficSecretCopy();
    }

    /** Wipes all key material. */
    public void destroy() {
        keys.destroy();
    }

    @Override
    public String toString() {
        return "RecordWriter[" + keys + "]";
    }
}
