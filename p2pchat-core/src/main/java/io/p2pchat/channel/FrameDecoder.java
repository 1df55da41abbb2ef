package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

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
 * <p>Each complete frame is passed on as a heap {@code ByteBuf} that <b>includes</b> its 4-byte
 * length field, because the record layer authenticates the header exactly as it was on the wire.
 * The next handler owns and must release it.
 *
 * <h2>Limits</h2>
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
 * <h2>Buffers</h2>
 *
 * Each frame is copied, once, from the socket's buffers into a heap buffer of exactly its size,
 * allocated from the channel's allocator when its length field has arrived; frames are therefore
 * heap buffers of their own, which the JDK's AES-GCM handles fastest ({@code byte[]}) and which the
 * record layer decrypts in place, with no further copy. Nothing is ever moved or copied again: a
 * frame that spans several socket reads is completed in its buffer, where a cumulating decoder
 * would copy the partial frame whenever its cumulation had to grow or compact (with 64 KiB records
 * and 64 KiB reads, nearly every frame). The price is that a peer's length field alone makes the
 * decoder allocate the frame's buffer, up to the frame limit; between frames (an idle channel)
 * nothing is held. Input is never kept or written to: it is released once copied.
 *
 * <p>Not sharable: one instance per channel.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {
    private int maxFrameLength;
    private boolean failed;

    /** The frame being received, at its full size; null at a frame boundary. */
    private ByteBuf partial;

    /** Bytes of a length field that arrived split across reads. */
    private final byte[] lengthField = new byte[RecordFormat.LENGTH_FIELD_LENGTH];

    private int lengthFieldBytes;

    /** A frame was passed on since the last read completed (for reads without auto-read). */
    private boolean produced;

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
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            decode(ctx, in);
        } finally {
            in.release();
        }
    }

    /** Copies {@code in} into frames, passing each on as soon as it is complete. */
    private void decode(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable() && !failed) {
            if (ctx.isRemoved()) {
                // Removed by a handler behind while it handled a frame: the rest is theirs.
                ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
                return;
            }
            if (partial != null) {
                int n = Math.min(partial.writableBytes(), in.readableBytes());
                partial.writeBytes(in, n);
                if (!partial.isWritable()) {
                    ByteBuf frame = partial;
                    partial = null;
                    produced = true;
                    ctx.fireChannelRead(frame); // the handler behind owns and releases it
                }
                continue;
            }
            long length;
            if (lengthFieldBytes == 0 && in.readableBytes() >= RecordFormat.LENGTH_FIELD_LENGTH) {
                length = in.getUnsignedInt(in.readerIndex());
                if (!accept(ctx, length)) {
                    return;
                }
                partial = frameBuffer(ctx, length);
            } else {
                // A length field split across reads: collect it first.
                while (lengthFieldBytes < lengthField.length && in.isReadable()) {
                    lengthField[lengthFieldBytes++] = in.readByte();
                }
                if (lengthFieldBytes < lengthField.length) {
                    return;
                }
                lengthFieldBytes = 0;
                length =
                        ((lengthField[0] & 0xFFL) << 24)
                                | ((lengthField[1] & 0xFFL) << 16)
                                | ((lengthField[2] & 0xFFL) << 8)
                                | (lengthField[3] & 0xFFL);
                if (!accept(ctx, length)) {
                    return;
                }
                partial = frameBuffer(ctx, length);
                partial.writeBytes(lengthField);
            }
        }
    }

    private static ByteBuf frameBuffer(ChannelHandlerContext ctx, long length) {
        int total = RecordFormat.LENGTH_FIELD_LENGTH + (int) length;
        return ctx.alloc().heapBuffer(total, total);
    }

    /** Checks a declared length against the limits; on failure drops everything from now on. */
    private boolean accept(ChannelHandlerContext ctx, long length) {
        if (length > maxFrameLength) {
            failed = true;
            ctx.fireExceptionCaught(new FrameTooLargeException(length, maxFrameLength));
            return false;
        }
        if (length < RecordFormat.COUNTED_HEADER_LENGTH) {
            failed = true;
            ctx.fireExceptionCaught(
                    new MalformedFrameException("frame length " + length + " is below 5"));
            return false;
        }
        return true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // As ByteToMessageDecoder: without auto-read, ask for more when no frame came out.
        if (!produced && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        produced = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // A partial frame at end of stream is a truncation; the record layer reports it when the
        // channel goes inactive. Nothing partial is passed on.
        releasePartial();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // As ByteToMessageDecoder: bytes not yet framed go to the handler behind.
        ByteBuf pending = partial;
        partial = null;
        if (lengthFieldBytes > 0) {
            ByteBuf b = ctx.alloc().heapBuffer(lengthFieldBytes);
            b.writeBytes(lengthField, 0, lengthFieldBytes);
            lengthFieldBytes = 0;
            ctx.fireChannelRead(b);
        } else if (pending != null && pending.isReadable()) {
            ctx.fireChannelRead(pending);
            pending = null;
        }
        if (pending != null) {
            pending.release();
        }
    }

    private void releasePartial() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        lengthFieldBytes = 0;
    }
}
