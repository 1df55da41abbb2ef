package io.p2pchat.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.PromiseCombiner;
import io.p2pchat.identity.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The application writes of a channel not yet sealed, and their coalescing into records at the
 * flush (protocol.md §7): the writes made during the handshake, then those made since the last
 * flush, sealed into as few records as they fit in, in order. The queue counts toward the channel's
 * pending outbound bytes, so writability and the {@code SLOW_CONSUMER} limit see these bytes as
 * they see sealed ones.
 *
 * <p>Each record carries up to the peer's record limit, taken from as many writes as needed; a
 * write larger than a record, or one that straddles two, spans several records. A write's promise
 * completes when every record holding its bytes is written. A record that is exactly one write is
 * sealed straight from the write's buffer (no staging copy for heap buffers); records that gather
 * several writes are assembled in the frame and encrypted in place.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link RecordCodecCore}; {@link
 * #bytesSent()} may be read from any thread.
 */
final class WriteCoalescer {
    private final RecordCodecCore core;
    private final ChannelHandlerContext ctx;

    /** Application writes not yet sealed. */
    private final PendingWriteQueue pendingWrites;

    /** Readable bytes of the queued writes. */
    private long queuedBytes;

    /** The records of the head write, when it spans several; null otherwise. */
    private PromiseCombiner spanning;

    private Ratchet ratchet;
    private RecordDigest digest;
    private PeerId localId;
    private int maxPlaintextOut;
    private volatile long bytesSent;

    WriteCoalescer(RecordCodecCore core, ChannelHandlerContext ctx) {
        this.core = core;
        this.ctx = ctx;
        this.pendingWrites = new PendingWriteQueue(ctx);
    }

    /** The handshake completed: records may be sealed from now on. */
    void activate(Ratchet ratchet, RecordDigest digest, PeerId localId, int maxPlaintextOut) {
        this.ratchet = ratchet;
        this.digest = digest;
        this.localId = localId;
        this.maxPlaintextOut = maxPlaintextOut;
    }

    /** Application plaintext bytes sealed so far. */
    long bytesSent() {
        return bytesSent;
    }

    /** Bytes queued, as the pending outbound bytes count them. */
    long pendingBytes() {
        return pendingWrites.bytes();
    }

    /** Queues a write until the next flush. */
    void queue(ByteBuf buf, ChannelPromise promise) {
        queuedBytes += buf.readableBytes();
        pendingWrites.add(buf, promise);
    }

    /** Seals the queued writes while the channel may send. */
    void sealQueued() {
        while (core.canSend() && !pendingWrites.isEmpty()) {
            ByteBuf head = (ByteBuf) pendingWrites.current();
            int headBytes = head.readableBytes();
            if (headBytes == 0) {
                // Only an empty write queued during the handshake gets here.
                completeHead();
                continue;
            }
            if (headBytes >= maxPlaintextOut || pendingWrites.size() == 1) {
                sealFromHead(head, Math.min(headBytes, maxPlaintextOut));
            } else {
                sealGathered((int) Math.min(queuedBytes, maxPlaintextOut));
            }
        }
    }

    /** One record from the head write alone. */
    private void sealFromHead(ByteBuf head, int len) {
        if (!ratchet.applySendRatchet()) {
            return;
        }
        if (digest != null) {
            digest.add(localId, ByteBufUtil.getBytes(head, head.readerIndex(), len, false), 0, len);
        }
        ByteBuf frame = ratchet.writer().seal(ctx.alloc(), ContentType.APPLICATION_DATA, head, len);
        queuedBytes -= len;
        bytesSent += len;
        if (!head.isReadable() && spanning == null) {
            // The common case: this record is exactly this write.
            ctx.write(frame, pendingWrites.remove());
        } else {
            ChannelPromise record = ctx.newPromise();
            ctx.write(frame, record);
            if (spanning == null) {
                spanning = new PromiseCombiner(ctx.executor());
            }
            spanning.add((Future<?>) record);
            if (!head.isReadable()) {
                completeHead();
            }
        }
        core.afterSend(Ratchet.After.NORMAL);
    }

    /** One record of {@code len} bytes gathered from the head writes. */
    private void sealGathered(int len) {
        if (!ratchet.applySendRatchet()) {
            return;
        }
        RecordWriter writer = ratchet.writer();
        ByteBuf frame = writer.newFrame(ctx.alloc(), len);
        ChannelPromise record = ctx.newPromise();
        ChannelPromise single = null;
        List<ChannelPromise> ended = null;
        int filled = 0;
        while (filled < len) {
            ByteBuf head = (ByteBuf) pendingWrites.current();
            int take = Math.min(head.readableBytes(), len - filled);
            frame.writeBytes(head, head.readerIndex(), take);
            head.skipBytes(take);
            filled += take;
            if (head.isReadable()) {
                // The write goes on in the next record.
                if (spanning == null) {
                    spanning = new PromiseCombiner(ctx.executor());
                }
                spanning.add((Future<?>) record);
            } else if (spanning != null) {
                spanning.add((Future<?>) record);
                completeHead();
            } else {
                ChannelPromise p = pendingWrites.remove();
                if (!p.isVoid()) {
                    if (single == null) {
                        single = p;
                    } else {
                        if (ended == null) {
                            ended = new ArrayList<>(4);
                            ended.add(single);
                        }
                        ended.add(p);
                    }
                }
            }
        }
        if (digest != null) {
            digest.add(
                    localId,
                    frame.array(),
                    frame.arrayOffset() + frame.readerIndex() + RecordFormat.HEADER_LENGTH,
                    len);
        }
        writer.sealFrame(frame, ContentType.APPLICATION_DATA);
        queuedBytes -= len;
        bytesSent += len;
        if (ended != null) {
            List<ChannelPromise> all = ended;
            record.addListener(f -> notifyAll(f, all));
        } else if (single != null) {
            ChannelPromise p = single;
            record.addListener(f -> notifyAll(f, List.of(p)));
        }
        ctx.write(frame, record);
        core.afterSend(Ratchet.After.NORMAL);
    }

    private static void notifyAll(Future<?> f, List<ChannelPromise> promises) {
        for (ChannelPromise p : promises) {
            if (f.isSuccess()) {
                p.trySuccess();
            } else {
                p.tryFailure(f.cause());
            }
        }
    }

    /**
     * Removes the fully sealed head write and completes its promise: through the records it spans,
     * or at once for an empty write.
     */
    private void completeHead() {
        ChannelPromise p = pendingWrites.remove();
        if (spanning != null) {
            PromiseCombiner c = spanning;
            spanning = null;
            c.finish(p);
        } else {
            p.trySuccess();
        }
    }

    /**
     * Fails and releases every queued write; {@code cause} is asked for only when there is one, so
     * that a channel closing with nothing queued builds no exception.
     */
    void failAll(Supplier<? extends Throwable> cause) {
        spanning = null;
        queuedBytes = 0;
        if (!pendingWrites.isEmpty()) {
            pendingWrites.removeAndFailAll(cause.get());
        }
    }
}
