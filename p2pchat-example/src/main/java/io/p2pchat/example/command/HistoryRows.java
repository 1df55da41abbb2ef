package io.p2pchat.example.command;

import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A stored message of a conversation as the views show it: {@code /history} on the console, the
 * conversation on the web page.
 *
 * @param sent whether this node sent it (else received it)
 * @param message the message
 * @param storedAtMs when it was stored
 */
public record HistoryRows(boolean sent, ChatMessage message, long storedAtMs) {
    /** The message of a history entry, or empty if it does not parse (it is then left out). */
    public static Optional<HistoryRows> of(HistoryEntry e) {
        try {
            return Optional.of(
                    new HistoryRows(
                            e.getDirection() == HistoryEntry.Direction.SENT,
                            ChatMessage.parseFrom(e.getMessage()),
                            e.getStoredAtMs()));
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            return Optional.empty();
        }
    }

    /**
     * The message id, hex (as in the {@code message}, {@code sent} and {@code delivered} events).
     */
    public String messageId() {
        return HexFormat.of().formatHex(message.getMessageId().toByteArray());
    }
}
