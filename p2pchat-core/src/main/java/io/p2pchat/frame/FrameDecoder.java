package io.p2pchat.frame;

import io.netty.buffer.ByteBuf;
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
 * <p>Not sharable: one instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private int maxFrameLength;
    private boolean failed;

    /**
     * Creates a decoder.
     *
     * @param maxFrameLength largest accepted value of the length field, at least 5
     */
    public FrameDecoder(int maxFrameLength) {
        setMaxFrameLength(maxFrameLength);
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
