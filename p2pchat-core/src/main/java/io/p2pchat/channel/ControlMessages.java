package io.p2pchat.channel;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.Pong;
import io.p2pchat.util.TokenBucket;

/**
 * The received control records of an established channel (protocol.md §9): the size limit, the
 * parse, the per-channel rate limits, and the dispatch of each message to {@link Ratchet} (key
 * updates), {@link Rekey} (the three rekey messages) or the answer to a ping.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link RecordCodecCore}.
 */
final class ControlMessages {
    private final RecordCodecCore core;
    private final Ratchet ratchet;
    private final Rekey rekey;
    private final TokenBucket keyUpdateBucket =
            new TokenBucket(ChannelSettings.KEY_UPDATE_BURST, ChannelSettings.KEY_UPDATE_RATE);
    private final TokenBucket controlBucket =
            new TokenBucket(ChannelSettings.CONTROL_BURST, ChannelSettings.CONTROL_RATE);

    ControlMessages(RecordCodecCore core, Ratchet ratchet, Rekey rekey) {
        this.core = core;
        this.ratchet = ratchet;
        this.rekey = rekey;
    }

    /** Handles the opened plaintext of a {@code CONTROL} record, which it releases. */
    void onControl(ByteBuf plain) {
        if (plain.readableBytes() > ChannelSettings.MAX_CONTROL_MESSAGE) {
            plain.release();
            core.fail(new RecordException(ErrorCode.MALFORMED, "oversized control message"));
            return;
        }
        byte[] bytes = ByteBufUtil.getBytes(plain);
        plain.release();
        ControlMessage message;
        try {
            message = ControlMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            core.fail(new RecordException(ErrorCode.MALFORMED, "undecodable control message"));
            return;
        }
        long now = core.now();
        if (!controlBucket.tryAcquire(now)) {
            core.fail(new RecordException(ErrorCode.RATE_LIMIT, "too many control messages"));
            return;
        }
        switch (message.getBodyCase()) {
            case KEY_UPDATE:
                if (!keyUpdateBucket.tryAcquire(now)) {
                    core.fail(
                            new RecordException(
                                    ErrorCode.TOO_MANY_KEY_UPDATES, "too many key updates"));
                    return;
                }
                ratchet.onKeyUpdate(message.getKeyUpdate());
                break;
            case REKEY_INIT:
                if (!keyUpdateBucket.tryAcquire(now)) {
                    core.fail(
                            new RecordException(ErrorCode.TOO_MANY_KEY_UPDATES, "too many rekeys"));
                    return;
                }
                rekey.onInit(bytes, message.getRekeyInit());
                break;
            case REKEY_RESPONSE:
                rekey.onResponse(bytes, message.getRekeyResponse());
                break;
            case REKEY_CONFIRM:
                rekey.onConfirm();
                break;
            case PING:
                if (ratchet.afterReceive(Ratchet.After.NORMAL, null)) {
                    core.sendControl(
                            ControlMessage.newBuilder()
                                    .setPong(
                                            Pong.newBuilder()
                                                    .setNonce(message.getPing().getNonce()))
                                    .build()
                                    .toByteArray(),
                            Ratchet.After.NORMAL);
                    core.flushNow();
                }
                break;
            case PONG:
                ratchet.afterReceive(Ratchet.After.NORMAL, null);
                break;
            case NEW_TICKET:
                onNewTicket(message);
                break;
            default:
                core.fail(
                        new RecordException(
                                ErrorCode.UNEXPECTED_MESSAGE, "unknown control message"));
                break;
        }
    }

    /** Keeps a resumption ticket (docs/protocol.md 5.11): only an initiator that asked gets one. */
    private void onNewTicket(ControlMessage message) {
        ResumptionTickets tickets = core.settings().handshake().tickets();
        SecureSession session = core.session();
        try {
            if (tickets == null || session.role() != Role.INITIATOR) {
                throw new RecordException(ErrorCode.UNEXPECTED_MESSAGE, "unexpected NewTicket");
            }
            tickets.hold(
                    (SessionImpl) session,
                    session.channel().remoteAddress(),
                    message.getNewTicket());
        } catch (RecordException e) {
            core.fail(e);
            return;
        }
        ratchet.afterReceive(Ratchet.After.NORMAL, null);
    }
}
