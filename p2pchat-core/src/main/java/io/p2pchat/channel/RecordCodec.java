package io.p2pchat.channel;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Protects application data once the handshake has completed: AES-GCM records, the symmetric
 * ratchet, key updates, in-channel rekeys, keep-alives and the authenticated close.
 *
 * <pre>
 *  0               4       5               9
 * +---------------+-------+---------------+---------------------------+-----------+
 * | length (u32)  | type  | epoch (u32)   | AES-GCM ciphertext        | tag (16)  |
 * +---------------+-------+---------------+---------------------------+-----------+
 *  associated data = the 9 header bytes; nonce = iv XOR uint64 sequence number
 * </pre>
 *
 * <h2>Inbound</h2>
 *
 * Takes whole frames from {@link io.p2pchat.channel.FrameDecoder} and passes each application
 * record's plaintext on as a heap {@code ByteBuf}, which the next handler must release. Any record
 * that fails authentication, comes out of order, carries a wrong epoch or an unexpected type closes
 * the channel; nothing after it is delivered.
 *
 * <h2>Outbound</h2>
 *
 * Takes {@code ByteBuf}s (it releases them) as a byte stream, as {@code SslHandler} does: writes
 * are queued until the next flush, then sealed in order into as few records as they fit in, each
 * carrying at most the peer's maximum record plaintext. A write flushed on its own is one record
 * (several if it is larger than the maximum); writes queued before one flush share records, and a
 * write may straddle two. A write's promise completes when every record holding its bytes has been
 * written. The receiver gets each record's plaintext as one buffer, so record boundaries are not
 * message boundaries: applications that need messages frame them (for example with {@link
 * io.p2pchat.channel.DelimitedProtobufDecoder}). Fewer, larger records cost less: each record pays
 * a fixed AES-GCM setup (docs/benchmarks.md).
 *
 * <p>Queued writes count toward the channel's pending outbound bytes, so {@code
 * Channel.isWritable()} and the limits below see them as soon as they are written. Writes made
 * before the handshake completes are queued, up to a byte limit; beyond it they fail with {@code
 * UNSUPPORTED_WRITE}. If the outbound buffer grows past its hard limit because the peer does not
 * read, the channel closes with {@code SLOW_CONSUMER}; well-behaved writers watch {@code
 * Channel.isWritable()}. {@code close()} seals queued writes before the close alert; a failure
 * fails them.
 *
 * <h2>Events</h2>
 *
 * Fires a {@link io.p2pchat.channel.KeyRotatedEvent} on every key change and a {@link
 * SecureChannelClosedEvent} when the channel goes inactive. {@code close()} sends an authenticated
 * close alert first, so the peer can tell a clean end from a truncation.
 *
 * <p>Created per channel by {@link io.p2pchat.channel.SecureChannelContext}; not sharable.
 *
 * <h2>Threading</h2>
 *
 * Confined to the channel's event loop, as every handler method is, and so is {@link #session()};
 * on another thread read the session from the channel's {@link SecureSession#ATTRIBUTE} (set before
 * the completion event) and use it there: its methods hop onto the event loop where they must. No
 * record work runs on the crypto executor.
 */
public final class RecordCodec extends ChannelDuplexHandler {
    private final RecordCodecCore core;

    /** Created by {@link io.p2pchat.channel.SecureChannelContext}. */
    RecordCodec(ChannelSettings settings) {
        this.core = new RecordCodecCore(settings);
    }

    /** The session, once the handshake has completed; otherwise null. */
    public SecureSession session() {
        return core.session();
    }

    /** The state machine, for the handshake handler and tests. */
    RecordCodecCore core() {
        return core;
    }

    /** Called by the handshake handler when it completes. */
    SecureSession activate(Established established) {
        return core.activate(established);
    }

    /**
     * Called by the handshake handler when it completes, handing over its writer and reader, which
     * go on with the session's keys.
     */
    SecureSession activate(Established established, RecordWriter writer, RecordReader reader) {
        return core.activate(established, writer, reader);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        core.handlerAdded(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        core.handlerRemoved();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        core.channelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        core.channelInactive();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        core.exceptionCaught(cause);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        core.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        core.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        core.close(promise);
    }
}
