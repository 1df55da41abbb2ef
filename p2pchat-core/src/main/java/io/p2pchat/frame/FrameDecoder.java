package io.p2pchat.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.p2pchat.internal.record.RecordFormat;
import java.util.List;

/**
 * Splits the inbound byte stream into p2pchat frames.
 *
 * <pre>
 *  0               4       5               9
 * +---------------+-------+---------------+------------------------+
 * | length (u32)  | type  | epoch (u32)   | fragment               |
 * +---------------+-------+---------------+------------------------+
 *   |&lt;------------------- length bytes -------------------&gt;|  (after the length field)
 * </pre>
 *
 * <p>Each complete frame is passed on as a retained slice that <b>includes</b> its 4-byte length
 * field, because the record layer authenticates the header exactly as it was on the wire. The next
 * handler owns and must release it.
 *
 * <h3>Limits</h3>
 *
 * A declared length over {@link #maxFrameLength()} fails at once with {@link
 * FrameTooLargeException}, before any byte of the body is buffered; a length under 5 (no room for
 * type and epoch) fails with {@link MalformedFrameException}. Unlike Netty's {@code
 * LengthFieldBasedFrameDecoder}, this decoder does not discard and resynchronise after an error:
 * once a frame is bad the stream cannot be trusted, so every later byte is dropped and the handlers
 * behind close the channel. The limit can be lowered or raised during the channel's life (the
 * handshake runs under a smaller one); a change made while a frame is handled applies to the next
 * frame, even one that arrived in the same read.
 *
 * <h3>Buffers</h3>
 *
 * Bytes are accumulated in heap buffers from the channel's allocator, so frames are heap slices:
 * the JDK's AES-GCM is fastest on {@code byte[]}, and the record layer can then decrypt each record
 * in place, with no further copy. Copying each socket read into the heap cumulation is the one copy
 * the receive path makes; it replaces the copy Netty's default cumulator makes whenever a frame
 * spans two reads and the record layer's copy of every direct frame into a heap buffer.
 *
 * <p>Not sharable: one instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    /** Smallest heap cumulation allocated, so that a frame split across reads rarely regrows. */
    static final int MIN_CUMULATION = 64 * 1024;

    /** Reads under this size start an exact-size cumulation. */
    static final int SMALL_READ = 4096;

    /**
     * Cumulates into heap buffers that this decoder owns: input is appended to the pending heap
     * buffer when it fits without reallocation (slices of it may be held downstream, so it is never
     * reallocated in place), or copied with the pending bytes into a new heap buffer. Input is
     * never used as the cumulation itself, because frames are decrypted in place. Releases {@code
     * in}, as a cumulator must.
     */
    static final Cumulator HEAP_CUMULATOR =
            (ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) -> {
                if (cumulation == in) {
                    // Should not happen; mirrors Netty's own cumulators.
                    in.release();
                    return cumulation;
                }
                try {
                    int required = in.readableBytes();
                    if (!cumulation.isReadable()) {
                        cumulation.release();
                        // Always copy into a buffer of our own, even heap input: the record layer
                        // decrypts in place, and must never write plaintext into a buffer that a
                        // handler in front of us (a capture, a logger) may still hold.
                        // Small reads (one small message) get an exact buffer; large ones room
                        // for the rest of a frame they end in the middle of.
                        ByteBuf heap =
                                alloc.heapBuffer(
                                        required < SMALL_READ
                                                ? required
                                                : Math.max(required, MIN_CUMULATION));
                        heap.writeBytes(in, in.readerIndex(), required);
                        return heap;
                    }
                    if (cumulation.hasArray()
                            && !cumulation.isReadOnly()
                            && required <= cumulation.maxFastWritableBytes()) {
                        cumulation.writeBytes(in, in.readerIndex(), required);
                        return cumulation;
                    }
                    int pending = cumulation.readableBytes();
                    ByteBuf heap = alloc.heapBuffer(Math.max(pending + required, MIN_CUMULATION));
                    heap.writeBytes(cumulation, cumulation.readerIndex(), pending);
                    heap.writeBytes(in, in.readerIndex(), required);
                    cumulation.release();
                    return heap;
                } finally {
                    in.release();
                }
            };

    private int maxFrameLength;
    private boolean failed;

    /**
     * Creates a decoder.
     *
     * @param maxFrameLength largest accepted value of the length field, at least 5
     */
    public FrameDecoder(int maxFrameLength) {
        setMaxFrameLength(maxFrameLength);
        setCumulator(HEAP_CUMULATOR);
    }

    /** The largest accepted value of the length field. */
    public int maxFrameLength() {
        return maxFrameLength;
    }

    /** Changes the limit for frames not yet started. */
    public void setMaxFrameLength(int maxFrameLength) {
        if (maxFrameLength < RecordFormat.COUNTED_HEADER_LENGTH) {
            throw new IllegalArgumentException(
                    "maxFrameLength: "
                            + maxFrameLength
                            + " (expected: >= "
                            + RecordFormat.COUNTED_HEADER_LENGTH
                            + ")");
        }
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        // One frame per call: ByteToMessageDecoder passes it on before calling again, so a limit
        // changed by the handlers behind while they handle this frame (the handshake raises it
        // after its last flight) already applies to the next one.
        if (in.readableBytes() < RecordFormat.LENGTH_FIELD_LENGTH) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxFrameLength) {
            fail(in);
            throw new FrameTooLargeException(length, maxFrameLength);
        }
        if (length < RecordFormat.COUNTED_HEADER_LENGTH) {
            fail(in);
            throw new MalformedFrameException("frame length " + length + " is below 5");
        }
        int total = RecordFormat.LENGTH_FIELD_LENGTH + (int) length;
        if (in.readableBytes() < total) {
            return;
        }
        out.add(in.readRetainedSlice(total));
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // A partial frame at end of stream is a truncation; the record layer reports it when the
        // channel goes inactive. Nothing partial is passed on.
        if (!failed && in.isReadable()) {
            decode(ctx, in, out);
        }
        in.skipBytes(in.readableBytes());
    }
}
