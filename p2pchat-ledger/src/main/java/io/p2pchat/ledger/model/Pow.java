package io.p2pchat.ledger.model;

import java.math.BigInteger;

/**
 * Proof-of-work arithmetic: 256-bit targets and chain work.
 *
 * <p>Stateless and thread-safe.
 */
public final class Pow {
    /** 2^256. */
    public static final BigInteger TWO_256 = BigInteger.ONE.shiftLeft(256);

    /** The largest 256-bit value. */
    public static final BigInteger MAX_UINT256 = TWO_256.subtract(BigInteger.ONE);

    private Pow() {}

    /** The work of a block with this target: 2^256 / (target + 1), at least 1. */
    public static BigInteger work(BigInteger target) {
        return TWO_256.divide(target.add(BigInteger.ONE));
    }

    /** Whether {@code hash}, as an unsigned big-endian number, is at most {@code target}. */
    public static boolean meets(byte[] hash, BigInteger target) {
        return new BigInteger(1, hash).compareTo(target) <= 0;
    }

    /**
     * The 32-byte unsigned big-endian encoding of {@code value}.
     *
     * @throws IllegalArgumentException if it is negative or does not fit in 256 bits
     */
    public static byte[] toUint256(BigInteger value) {
        if (value.signum() < 0 || value.bitLength() > 256) {
            throw new IllegalArgumentException("value: " + value + " (expected: 0..2^256-1)");
        }
        byte[] raw = value.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }

    /** The target whose blocks need about {@code expectedHashes} attempts: 2^256 / n - 1. */
    public static BigInteger targetForExpectedHashes(long expectedHashes) {
        if (expectedHashes < 1) {
            throw new IllegalArgumentException(
                    "expectedHashes: " + expectedHashes + " (expected: >= 1)");
        }
        return TWO_256.divide(BigInteger.valueOf(expectedHashes)).subtract(BigInteger.ONE);
    }
}
