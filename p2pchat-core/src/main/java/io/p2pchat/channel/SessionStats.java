package io.p2pchat.channel;

/**
 * Counters of an established session, as a snapshot.
 *
 * @param recordsSent records sent since the handshake (all content types)
 * @param recordsReceived records received since the handshake
 * @param applicationBytesSent plaintext application bytes sent
 * @param applicationBytesReceived plaintext application bytes received
 * @param sendEpoch current key epoch of the outbound direction
 * @param receiveEpoch current key epoch of the inbound direction
 * @param keyChanges key changes in both directions (ratchets, key updates and rekeys)
 * @param rekeys completed in-channel ephemeral exchanges
 */
public record SessionStats(
        long recordsSent,
        long recordsReceived,
        long applicationBytesSent,
        long applicationBytesReceived,
        long sendEpoch,
        long receiveEpoch,
        long keyChanges,
        long rekeys) {}
