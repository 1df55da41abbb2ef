package io.p2pchat.identity;

/**
 * Renders hashes as safety numbers: groups of decimal digits that two people compare out of band,
 * as Signal's safety numbers do.
 */
public final class Fingerprints {
    /** Bytes of hash consumed per five-digit group. */
    private static final int CHUNK = 5;

    private Fingerprints() {}

    /**
     * A 30-digit safety number in six groups of five: each group is a 5-byte big-endian chunk of
     * {@code hash} modulo 100000 (docs/protocol.md, "Fingerprints").
     *
     * @throws IllegalArgumentException if {@code hash} is shorter than 30 bytes
     */
    public static String safetyNumber(byte[] hash) {
        if (hash.length < 6 * CHUNK) {
            throw new IllegalArgumentException(
                    "hash length: " + hash.length + " (expected: >= " + 6 * CHUNK + ")");
        }
        StringBuilder sb = new StringBuilder(35);
        for (int group = 0; group < 6; group++) {
            long v = 0;
            for (int i = 0; i < CHUNK; i++) {
                v = (v << 8) | (hash[group * CHUNK + i] & 0xFF);
            }
            if (group > 0) {
                sb.append(' ');
            }
            appendFiveDigits(sb, (int) (v % 100_000));
        }
        return sb.toString();
    }

    /**
     * Appends {@code value} (0 to 99999) as five decimal digits, zero-padded: what {@code
     * String.format("%05d", value)} gives, without building a {@code Formatter}: six of those per
     * session were 1.25 % of a resumed handshake's CPU (docs/benchmarks.md).
     */
    private static void appendFiveDigits(StringBuilder sb, int value) {
        for (int divisor = 10_000; divisor > 0; divisor /= 10) {
            sb.append((char) ('0' + value / divisor % 10));
        }
    }
}
