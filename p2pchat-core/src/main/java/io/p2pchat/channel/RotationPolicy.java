package io.p2pchat.channel;

import java.time.Duration;
import java.util.Objects;

/**
 * When a channel changes keys (docs/protocol.md, "Key rotation").
 *
 * <ul>
 *   <li>The symmetric ratchet moves each direction to the next traffic secret after {@link
 *       #ratchetIntervalRecords()} records or {@link #ratchetIntervalBytes()} plaintext bytes,
 *       whichever comes first, and erases the old secret. Both peers offer limits in the handshake
 *       and the smaller wins, so both stay in step without any message.
 *   <li>A rekey runs a fresh X25519 (+ ML-KEM-768) exchange inside the channel after {@link
 *       #rekeyIntervalRecords()} records sent or {@link #rekeyInterval()}, whichever comes first,
 *       for post-compromise security.
 * </ul>
 *
 * @param ratchetIntervalRecords records per traffic key, 1..2^24 (default 8)
 * @param ratchetIntervalBytes plaintext bytes per traffic key, 2^10..2^36 (default 2^34)
 * @param rekeyIntervalRecords records sent between rekeys, at least 1 (default 2^20)
 * @param rekeyInterval time between rekeys, at least 1 s (default 2 minutes); {@link Duration#ZERO}
 *     disables the timer
 */
public record RotationPolicy(
        int ratchetIntervalRecords,
        long ratchetIntervalBytes,
        long rekeyIntervalRecords,
        Duration rekeyInterval) {

    /** The defaults, justified in docs/security.md. */
    public static final RotationPolicy DEFAULT =
            new RotationPolicy(8, 1L << 34, 1L << 20, Duration.ofMinutes(2));

    /** Smallest {@link #ratchetIntervalRecords()} (docs/protocol.md §5.2, §8.1). */
    public static final int MIN_RATCHET_RECORDS = HandshakeLimits.MIN_RATCHET_RECORDS;

    /** Largest {@link #ratchetIntervalRecords()}: the ratchet as rare as the protocol allows. */
    public static final int MAX_RATCHET_RECORDS = HandshakeLimits.MAX_RATCHET_RECORDS;

    /** Smallest {@link #ratchetIntervalBytes()}. */
    public static final long MIN_RATCHET_BYTES = HandshakeLimits.MIN_RATCHET_BYTES;

    /** Largest {@link #ratchetIntervalBytes()}. */
    public static final long MAX_RATCHET_BYTES = HandshakeLimits.MAX_RATCHET_BYTES;

    /** Validates every field. */
    public RotationPolicy {
        if (ratchetIntervalRecords < HandshakeLimits.MIN_RATCHET_RECORDS
                || ratchetIntervalRecords > HandshakeLimits.MAX_RATCHET_RECORDS) {
            throw new IllegalArgumentException(
                    "ratchetIntervalRecords: " + ratchetIntervalRecords + " (expected: 1..2^24)");
        }
        if (ratchetIntervalBytes < HandshakeLimits.MIN_RATCHET_BYTES
                || ratchetIntervalBytes > HandshakeLimits.MAX_RATCHET_BYTES) {
            throw new IllegalArgumentException(
                    "ratchetIntervalBytes: " + ratchetIntervalBytes + " (expected: 2^10..2^36)");
        }
        if (rekeyIntervalRecords < 1) {
            throw new IllegalArgumentException(
                    "rekeyIntervalRecords: " + rekeyIntervalRecords + " (expected: >= 1)");
        }
        Objects.requireNonNull(rekeyInterval, "rekeyInterval");
        if (rekeyInterval.isNegative()
                || (!rekeyInterval.isZero()
                        && rekeyInterval.compareTo(Duration.ofSeconds(1)) < 0)) {
            throw new IllegalArgumentException(
                    "rekeyInterval: " + rekeyInterval + " (expected: 0 or >= 1s)");
        }
    }

    /** A copy with another ratchet cadence in records. */
    public RotationPolicy withRatchetIntervalRecords(int records) {
        return new RotationPolicy(
                records, ratchetIntervalBytes, rekeyIntervalRecords, rekeyInterval);
    }

    /** A copy with another ratchet cadence in bytes. */
    public RotationPolicy withRatchetIntervalBytes(long bytes) {
        return new RotationPolicy(
                ratchetIntervalRecords, bytes, rekeyIntervalRecords, rekeyInterval);
    }

    /** A copy with another rekey cadence. */
    public RotationPolicy withRekey(long records, Duration interval) {
        return new RotationPolicy(ratchetIntervalRecords, ratchetIntervalBytes, records, interval);
    }
}
