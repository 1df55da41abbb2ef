package io.p2pchat.ledger.sync;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and timings of ledger replication over one connection ({@code docs/ledger.md},
 * "Replication").
 *
 * @param maxMessageBytes largest NodeMessage accepted (and sent); larger ones close the connection
 *     and ban the peer. At least the network's block size limit plus 64 KiB.
 * @param requestTimeout how long a peer may take to answer a request before it is considered
 *     stalling and disconnected (without a ban)
 * @param statusInterval how often the tip is re-announced on an idle connection
 * @param maxBlocksInFlight block requests outstanding per peer (1..16)
 * @param messagesPerSecond sustained unsolicited ledger messages (status, requests, announcements)
 *     accepted per peer; a peer exceeding the burst of 10 seconds' worth is misbehaving. Responses
 *     are bounded by our requests instead.
 * @param maxUnconnectedHeaders header batches that connect to nothing a peer may send before it is
 *     misbehaving
 */
public record SyncSettings(
        int maxMessageBytes,
        Duration requestTimeout,
        Duration statusInterval,
        int maxBlocksInFlight,
        int messagesPerSecond,
        int maxUnconnectedHeaders) {
    /** Defaults: 4 MiB messages, 20 s requests, 30 s status, 16 blocks in flight, 200 msg/s. */
    public static final SyncSettings DEFAULT =
            new SyncSettings(4 << 20, Duration.ofSeconds(20), Duration.ofSeconds(30), 16, 200, 8);

    /** Validates. */
    public SyncSettings {
        if (maxMessageBytes < 65536 || maxMessageBytes > (1 << 28)) {
            throw new IllegalArgumentException(
                    "maxMessageBytes: " + maxMessageBytes + " (expected: 64 KiB .. 256 MiB)");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(statusInterval, "statusInterval");
        if (requestTimeout.toMillis() < 10 || statusInterval.toMillis() < 10) {
            throw new IllegalArgumentException(
                    "requestTimeout and statusInterval must be >= 10 ms");
        }
        if (maxBlocksInFlight < 1 || maxBlocksInFlight > 16) {
            throw new IllegalArgumentException(
                    "maxBlocksInFlight: " + maxBlocksInFlight + " (expected: 1..16)");
        }
        if (messagesPerSecond < 1) {
            throw new IllegalArgumentException(
                    "messagesPerSecond: " + messagesPerSecond + " (expected: >= 1)");
        }
        if (maxUnconnectedHeaders < 1) {
            throw new IllegalArgumentException(
                    "maxUnconnectedHeaders: " + maxUnconnectedHeaders + " (expected: >= 1)");
        }
    }

    /** A copy with other timings. */
    public SyncSettings withTimings(Duration requestTimeout, Duration statusInterval) {
        return new SyncSettings(
                maxMessageBytes,
                requestTimeout,
                statusInterval,
                maxBlocksInFlight,
                messagesPerSecond,
                maxUnconnectedHeaders);
    }

    /** A copy with another message size limit. */
    public SyncSettings withMaxMessageBytes(int bytes) {
        return new SyncSettings(
                bytes,
                requestTimeout,
                statusInterval,
                maxBlocksInFlight,
                messagesPerSecond,
                maxUnconnectedHeaders);
    }
}
