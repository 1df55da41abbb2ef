package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.p2pchat.crypto.AesGcm;
import javax.crypto.AEADBadTagException;

/**
 * The receiving half of the record layer: checks the epoch, opens records with the key and the
 * sequence number it expects next, counts, and ratchets in step with the sender.
 *
 * <p>Records are strictly sequential: a replayed, reordered, dropped or tampered record fails
 * authentication, because its nonce or associated data differs from the expected one.
 *
 * <p>The key, epoch, sequence number and per-key counters are a package-private {@code
 * DirectionKeys}, the same state {@link RecordWriter} keeps for the other direction, so that the
 * two ends change keys alike.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: used on the channel's event loop only.
 */
public final class RecordReader {
    /**
     * Whether {@link #openInPlace} decrypts into a scratch array and copies the plaintext back,
     * rather than decrypting in the frame's own array. SunJCE from JDK 18 on runs AES-GCM
     * decryption through its interleaved AES+GHASH intrinsic (VAES/AVX-512 or AVX2 on x86) only
     * when output and input are different arrays; in place it falls back to two passes (GHASH, then
     * CTR), which cost about twice as much on the AMD EPYC of docs/benchmarks.md. JDK 17 has no
     * interleaved intrinsic and runs two passes either way, so there the copy back would be pure
     * cost.
     */
    static final boolean DECRYPT_VIA_SCRATCH = Runtime.version().feature() >= 18;

    /**
     * The scratch array of {@link #openInPlace} on each thread (an event loop serves many channels,
     * one record at a time): grown to the largest fragment decrypted on that thread, which the
     * frame limit bounds. It holds the plaintext of that thread's last record until the next one,
     * as the pooled frame buffers the plaintext is handed on in do after they are released.
     */
    private static final FastThreadLocal<byte[]> SCRATCH =
            new FastThreadLocal<>() {
                @Override
                protected byte[] initialValue() {
                    return new byte[0];
                }
            };

    private final DirectionKeys keys;
    private final boolean decryptViaScratch;
    private final byte[] aad = new byte[RecordFormat.HEADER_LENGTH];
    private int lastContentType;

    /** Creates a reader for keys of {@code keyLength} bytes (16 or 32). */
    public RecordReader(int keyLength) {
        this(keyLength, DECRYPT_VIA_SCRATCH);
    }

    /** A reader that decrypts via a scratch array or not, whatever the JDK; for tests of both. */
    RecordReader(int keyLength, boolean decryptViaScratch) {
        this.keys = new DirectionKeys(keyLength);
        this.decryptViaScratch = decryptViaScratch;
    }

    /** Installs the traffic secret of {@code newEpoch}, taking ownership of the array. */
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

    /** Whether the limits say the peer changed keys after the last record. */
    public boolean ratchetDue(long maxRecords, long maxBytes) {
        return keys.ratchetDue(maxRecords, maxBytes);
    }

    /** The current epoch, or -1 before the first key. */
    public long epoch() {
        return keys.epoch();
    }

    /** The key state of this direction, for the record layer's key changes ({@link Ratchet}). */
    DirectionKeys keys() {
        return keys;
    }

    /** Whether a key is installed. */
    public boolean hasKey() {
        return keys.hasKey();
    }

    /** The content type of the frame last passed to {@link #open}. */
    public int lastContentType() {
        return lastContentType;
    }

    /** The content type of a frame (including its length field), without consuming it. */
    public static int contentType(ByteBuf frame) {
        return frame.getUnsignedByte(frame.readerIndex() + RecordFormat.LENGTH_FIELD_LENGTH);
    }

    /** The epoch of a frame (including its length field), without consuming it. */
    public static long epochOf(ByteBuf frame) {
        return frame.getUnsignedInt(frame.readerIndex() + RecordFormat.LENGTH_FIELD_LENGTH + 1);
    }

    /**
     * Opens a whole frame (length field included; not released here) into a new buffer.
     *
     * @return the plaintext in a new heap buffer the caller owns
     * @throws RecordException {@code WRONG_EPOCH} or {@code BAD_RECORD_MAC}
     */
    public ByteBuf open(ByteBufAllocator alloc, ByteBuf frame) throws RecordException {
        int fragment = checkHeader(frame);
        int start = frame.readerIndex();
        ByteBuf plain = alloc.heapBuffer(fragment);
        boolean ok = false;
        try {
            byte[] out = plain.array();
            int outOff = plain.arrayOffset() + plain.writerIndex();
            int n;
            if (frame.hasArray() && frame.array() != out) {
                n =
                        decrypt(
                                frame.array(),
                                frame.arrayOffset() + start + RecordFormat.HEADER_LENGTH,
                                fragment,
                                out,
                                outOff);
            } else {
                // Direct frame, or a heap frame in the same backing array as the output (pooled
                // allocators carve both from one chunk): the JDK copies the whole array when input
                // and output share it at different offsets, so stage the ciphertext and decrypt
                // in place at one offset, its fast path.
                frame.getBytes(start + RecordFormat.HEADER_LENGTH, out, outOff, fragment);
                n = decrypt(out, outOff, fragment, out, outOff);
            }
            plain.writerIndex(plain.writerIndex() + n);
            frame.skipBytes(frame.readableBytes());
            advance(n);
            ok = true;
            return plain;
        } catch (AEADBadTagException e) {
            throw new RecordException(ErrorCode.BAD_RECORD_MAC, "record authentication failed");
        } finally {
            if (!ok) {
                plain.release();
            }
        }
    }

    /**
     * Opens a whole frame (length field included; not released here) <b>in place</b>: the plaintext
     * overwrites the ciphertext in the frame's own memory and is returned as a retained slice of
     * the frame, with no allocation (on JDK 18+ the plaintext is decrypted into a per-thread
     * scratch array and copied back once authenticated, see {@code DECRYPT_VIA_SCRATCH}; on JDK 17
     * it is decrypted in place with no copy). For frames the caller owns outright, such as those of
     * {@link io.p2pchat.channel.FrameDecoder}; the frame's bytes are undefined afterwards, and also
     * after a failure. Frames that are not writable heap buffers are opened with {@link #open}
     * instead.
     *
     * @return the plaintext, a retained slice of {@code frame} that the caller owns and releases
     * @throws RecordException {@code WRONG_EPOCH} or {@code BAD_RECORD_MAC}
     */
    public ByteBuf openInPlace(ByteBufAllocator alloc, ByteBuf frame) throws RecordException {
        if (!frame.hasArray() || frame.isReadOnly()) {
            return open(alloc, frame);
        }
        int fragment = checkHeader(frame);
        int body = frame.readerIndex() + RecordFormat.HEADER_LENGTH;
        byte[] array = frame.array();
        int off = frame.arrayOffset() + body;
        int n;
        try {
            if (decryptViaScratch) {
                // Out of place, so that the JDK takes its interleaved AES-GCM path; the plaintext
                // is copied back only once the tag has verified (AesGcm.open zeroes it otherwise).
                byte[] scratch = scratch(fragment);
                n = decrypt(array, off, fragment, scratch, 0);
                System.arraycopy(scratch, 0, array, off, n);
            } else {
                // Same array, same offset: the JDK's in-place path, no internal copy.
                n = decrypt(array, off, fragment, array, off);
            }
        } catch (AEADBadTagException e) {
            throw new RecordException(ErrorCode.BAD_RECORD_MAC, "record authentication failed");
        }
        ByteBuf plain = frame.retainedSlice(body, n); // the caller releases the slice and frame
        frame.skipBytes(frame.readableBytes());
        advance(n);
        return plain;
    }

    /** This thread's scratch array, grown to at least {@code length} bytes. */
    private static byte[] scratch(int length) {
        byte[] scratch = SCRATCH.get();
        if (scratch.length < length) {
            scratch = new byte[length];
            SCRATCH.set(scratch);
        }
        return scratch;
    }

    /** Checks the epoch and length and reads the associated data; returns the fragment length. */
    private int checkHeader(ByteBuf frame) throws RecordException {
        lastContentType = contentType(frame);
        long recordEpoch = epochOf(frame);
        if (recordEpoch != keys.epoch()) {
            throw new RecordException(
                    ErrorCode.WRONG_EPOCH,
                    "record of epoch " + recordEpoch + ", expected " + keys.epoch());
        }
        int fragment = frame.readableBytes() - RecordFormat.HEADER_LENGTH;
        if (fragment < AesGcm.TAG_LENGTH) {
            throw new RecordException(ErrorCode.BAD_RECORD_MAC, "record shorter than its tag");
        }
        frame.getBytes(frame.readerIndex(), aad, 0, RecordFormat.HEADER_LENGTH);
        return fragment;
    }

    private void advance(int plaintextBytes) {
        keys.advance(plaintextBytes);
    }

    /** Runs AES-GCM over one record body with the current key, sequence number and header. */
    private int decrypt(byte[] in, int inOff, int len, byte[] out, int outOff)
            throws AEADBadTagException {
        return keys.aead().open(keys.sequence(), aad, 0, aad.length, in, inOff, len, out, outOff);
    }

    /** Sets the sequence number; for tests of exhaustion only. */
    public void setSequenceForTesting(long value) {
        keys.setSequence(value);
    }

    /** The next expected sequence number. */
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
        return "RecordReader[" + keys + "]";
    }
}
