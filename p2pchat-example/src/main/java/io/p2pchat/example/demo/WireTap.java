package io.p2pchat.example.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.p2pchat.channel.KeyRotatedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the demo shows of one secure channel: the records this side writes, as an eavesdropper sees
 * them (header in clear, ciphertext opaque), and the key changes the record layer reports.
 *
 * <p>Two handlers: {@link #recordTap()} goes first in the pipeline, next to the socket, and reads
 * the record headers of outbound buffers (the record layer writes whole records); {@link
 * #rotationWatcher()} goes last and catches {@link KeyRotatedEvent}s. Neither changes or holds a
 * buffer.
 */
public final class WireTap {
    /** Record content types (docs/protocol.md §3.1). */
    public static final int DATA = 3;

    public static final int CONTROL = 4;

    /**
     * One record written to the socket.
     *
     * @param type the content type
     * @param epoch the key epoch in its header
     * @param bytes the whole record on the wire: 4-byte length, 5 more header bytes, ciphertext and
     *     the 16-byte tag
     * @param head the first ciphertext bytes, hex
     */
    public record Record(int type, long epoch, int bytes, String head) {
        /** The content type's name. */
        public String typeName() {
            return switch (type) {
                case 1 -> "HELLO";
                case 2 -> "HANDSHAKE";
                case DATA -> "DATA";
                case CONTROL -> "CONTROL";
                case 5 -> "ALERT";
                default -> "type " + type;
            };
        }
    }

    /**
     * The records this side wrote and its key changes, in the order they happened: both handlers
     * run on the channel's event loop, and the record layer writes a record (through {@link
     * #recordTap}) before it reports the key change that record triggered.
     */
    private final ConcurrentLinkedQueue<Object> timeline = new ConcurrentLinkedQueue<>();

    private final List<KeyRotatedEvent> allRotations = new ArrayList<>(); // guarded by this

    /** The handler to add first in the pipeline. */
    public ChannelDuplexHandler recordTap() {
        return new ChannelDuplexHandler() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof ByteBuf) {
                    parse((ByteBuf) msg);
                }
                ctx.write(msg, promise);
            }
        };
    }

    /** The handler to add last in the pipeline. */
    public ChannelDuplexHandler rotationWatcher() {
        return new ChannelDuplexHandler() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof KeyRotatedEvent) {
                    KeyRotatedEvent e = (KeyRotatedEvent) evt;
                    timeline.add(e);
                    synchronized (WireTap.this) {
                        allRotations.add(e);
                    }
                }
                ctx.fireUserEventTriggered(evt);
            }
        };
    }

    private void parse(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (end - i >= 9) {
            long length = buf.getUnsignedInt(i);
            if (length < 5 || i + 4 + length > end) {
                return; // not whole records: nothing to show
            }
            int type = buf.getUnsignedByte(i + 4);
            long epoch = buf.getUnsignedInt(i + 5);
            int shown = (int) Math.min(8, length - 5);
            String head = ByteBufUtil.hexDump(buf, i + 9, shown);
            timeline.add(new Record(type, epoch, (int) (4 + length), head));
            i += (int) (4 + length);
        }
    }

    /**
     * What happened since the last call, in order: each {@link Record} this side wrote and each
     * {@link KeyRotatedEvent} of either direction.
     */
    public List<Object> drain() {
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = timeline.poll()) != null) {
            out.add(o);
        }
        return out;
    }

    /** Every key change seen. */
    public synchronized List<KeyRotatedEvent> allRotations() {
        return new ArrayList<>(allRotations);
    }
}
