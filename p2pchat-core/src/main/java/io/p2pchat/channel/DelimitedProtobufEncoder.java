package io.p2pchat.channel;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/**
 * Encodes Protobuf messages with a varint32 length prefix, the counterpart of {@link
 * DelimitedProtobufDecoder}. One heap buffer per message, so the record layer encrypts it without
 * copying. Stateless and {@linkplain Sharable sharable}: use {@link #INSTANCE}.
 */
@Sharable
public final class DelimitedProtobufEncoder extends MessageToByteEncoder<MessageLite> {
    /** The shared instance. */
    public static final DelimitedProtobufEncoder INSTANCE = new DelimitedProtobufEncoder();

    private DelimitedProtobufEncoder() {
        super(MessageLite.class, false);
    }

    @Override
    protected ByteBuf allocateBuffer(
            ChannelHandlerContext ctx, MessageLite msg, boolean preferDirect) {
        int size = msg.getSerializedSize();
        return ctx.alloc().heapBuffer(CodedOutputStream.computeUInt32SizeNoTag(size) + size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MessageLite msg, ByteBuf out)
            throws IOException {
        int size = msg.getSerializedSize();
        int total = CodedOutputStream.computeUInt32SizeNoTag(size) + size;
        CodedOutputStream cos =
                CodedOutputStream.newInstance(
                        out.array(), out.arrayOffset() + out.writerIndex(), total);
        cos.writeUInt32NoTag(size);
        msg.writeTo(cos);
        cos.checkNoSpaceLeft();
        out.writerIndex(out.writerIndex() + total);
    }
}
