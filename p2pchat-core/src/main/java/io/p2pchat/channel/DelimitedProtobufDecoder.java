package io.p2pchat.channel;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.Objects;

/**
 * Decodes length-delimited Protobuf messages (a base-128 varint length, then the message) from the
 * plaintext stream of a secure channel, with a hard size limit.
 *
 * <pre>
 * +------------------------+---------------------------+
 * | length (varint32, 1-5) | message (length bytes)    |
 * +------------------------+---------------------------+
 * </pre>
 *
 * <p>Netty's {@code ProtobufVarint32FrameDecoder} has no limit: a peer could declare 2 GiB and make
 * it buffer without bound. This decoder fails at once with {@code FRAME_TOO_LARGE} when the
 * declared length exceeds {@code maxMessageBytes}, and with {@code MALFORMED} on a bad varint or
 * undecodable message; after a failure it drops all further input. Protobuf's recursion limit (100)
 * applies.
 *
 * <h2>Failure</h2>
 *
 * The channel fails closed: the failure is handed to the secure channel's {@link
 * io.p2pchat.channel.RecordCodec} (from the head of the pipeline), which sends the peer its coarse
 * alert and closes, and then reaches the handlers after this one through {@code exceptionCaught}.
 * Without a record codec in the pipeline the channel is simply closed.
 *
 * <p>Not sharable.
 */
public final class DelimitedProtobufDecoder extends ByteToMessageDecoder {
    private final MessageLite prototype;
    private final int maxMessageBytes;
    private boolean failed;
    private SecureChannelException failure;

    /**
     * Creates a decoder.
     *
     * @param prototype the default instance of the message type
     * @param maxMessageBytes largest accepted message, 1 .. 2^28
     */
    public DelimitedProtobufDecoder(MessageLite prototype, int maxMessageBytes) {
        this.prototype = Objects.requireNonNull(prototype, "prototype");
        if (maxMessageBytes < 1 || maxMessageBytes > (1 << 28)) {
            throw new IllegalArgumentException(
                    "maxMessageBytes: " + maxMessageBytes + " (expected: 1..2^28)");
        }
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed && in.isReadable()) {
            int start = in.readerIndex();
            long length = 0;
            int shift = 0;
            int i = start;
            boolean complete = false;
            for (; i < in.writerIndex() && shift <= 28; i++, shift += 7) {
                byte b = in.getByte(i);
                length |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    complete = true;
                    i++;
                    break;
                }
            }
            if (!complete) {
                if (shift > 28) {
                    throw fail(in, ErrorCode.MALFORMED, "varint length longer than 5 bytes");
                }
                return; // need more bytes
            }
            if (length > maxMessageBytes) {
                throw fail(
                        in,
                        ErrorCode.FRAME_TOO_LARGE,
                        "message of " + length + " bytes exceeds " + maxMessageBytes);
            }
            int headerBytes = i - start;
            if (in.readableBytes() < headerBytes + length) {
                return;
            }
            int bodyStart = start + headerBytes;
            try {
                MessageLite message;
                if (in.hasArray()) {
                    message =
                            prototype
                                    .getParserForType()
                                    .parseFrom(
                                            CodedInputStream.newInstance(
                                                    in.array(),
                                                    in.arrayOffset() + bodyStart,
                                                    (int) length),
                                            ExtensionRegistryLite.getEmptyRegistry());
                } else {
                    message =
                            prototype
                                    .getParserForType()
                                    .parseFrom(
                                            in.nioBuffer(bodyStart, (int) length),
                                            ExtensionRegistryLite.getEmptyRegistry());
                }
                in.readerIndex(bodyStart + (int) length);
                out.add(message);
            } catch (InvalidProtocolBufferException e) {
                throw fail(
                        in,
                        ErrorCode.MALFORMED,
                        "undecodable " + prototype.getClass().getSimpleName());
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    private SecureChannelException fail(ByteBuf in, ErrorCode code, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        failure = new SecureChannelException(code, message);
        return failure;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (failure != null && cause == failure) {
            // Our own failure, first time here: let the secure channel (before us) alert the peer
            // and close; it passes the failure on, and it comes back here (cause == null below).
            failure = null;
            if (ctx.pipeline().get(RecordCodec.class) != null) {
                ctx.pipeline().fireExceptionCaught(cause);
            } else {
                ctx.fireExceptionCaught(cause);
                ctx.close();
            }
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
