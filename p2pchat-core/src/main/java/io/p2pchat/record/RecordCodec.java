package io.p2pchat.record;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.p2pchat.SecureSession;
import io.p2pchat.internal.channel.ChannelSettings;
import io.p2pchat.internal.channel.RecordCodecCore;
import io.p2pchat.internal.handshake.Established;

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
 * <h3>Inbound</h3>
 *
 * Takes whole frames from {@link io.p2pchat.frame.FrameDecoder} and passes each application
 * record's plaintext on as a heap {@code ByteBuf}, which the next handler must release. Any record
 * that fails authentication, comes out of order, carries a wrong epoch or an unexpected type closes
 * the channel; nothing after it is delivered.
 *
 * <h3>Outbound</h3>
 *
 * Takes {@code ByteBuf}s (it releases them) and writes one record per write, splitting writes
 * larger than the peer's maximum record. Writes made before the handshake completes are queued, up
 * to a byte limit; beyond it they fail with {@code UNSUPPORTED_WRITE}. If the outbound buffer grows
 * past its hard limit because the peer does not read, the channel closes with {@code
 * SLOW_CONSUMER}; well-behaved writers watch {@code Channel.isWritable()}.
 *
 * <h3>Events</h3>
 *
 * Fires a {@link io.p2pchat.rotation.KeyRotatedEvent} on every key change and a {@link
 * SecureChannelClosedEvent} when the channel goes inactive. {@code close()} sends an authenticated
 * close alert first, so the peer can tell a clean end from a truncation.
 *
 * <p>Created per channel by {@link io.p2pchat.SecureChannelContext}; not sharable.
 */
public final class RecordCodec extends ChannelDuplexHandler {
    private final RecordCodecCore core;

    /** Created by {@link io.p2pchat.SecureChannelContext}. */
    public RecordCodec(ChannelSettings settings) {
        this.core = new RecordCodecCore(settings);
    }

    /** The session, once the handshake has completed; otherwise null. */
    public SecureSession session() {
        return core.session();
    }

    /** Internal: the state machine, for the handshake handler and tests. */
    public RecordCodecCore core() {
        return core;
    }

    /** Internal: called by the handshake handler when it completes. */
    public SecureSession activate(Established established) {
        return core.activate(established);
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
