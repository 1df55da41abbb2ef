package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.NetworkParameters;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The chain-context rules of headers: median time past and difficulty retargeting ({@code
 * docs/ledger.md}, "Difficulty" and "Timestamps").
 *
 * <p>Stateless and thread-safe.
 */
public final class Consensus {
    private Consensus() {}

    /**
     * The median timestamp of {@code parent} and up to 10 of its ancestors (fewer near genesis: the
     * median of what exists, the upper median for an even count).
     */
    public static long medianTimePast(BlockHeader parent, HeaderSource chain) {
        long[] times = new long[NetworkParameters.MEDIAN_TIME_SPAN];
        int n = 0;
        BlockHeader h = parent;
        while (h != null && n < times.length) {
            times[n++] = h.timestampMillis();
            if (h.height() == 0) {
                break;
            }
            h = chain.header(h.previous());
        }
        long[] sorted = Arrays.copyOf(times, n);
        Arrays.sort(sorted);
        return sorted[n / 2];
    }

    /**
     * The target a child of {@code parent} must carry. Unchanged inside a retarget window; at a
     * height that is a multiple of the window, the parent's target scaled by the actual time span
     * of the last window over the expected one ((window - 1) intervals), the ratio clamped to
     * [1/clamp, clamp], the result kept within [1, maxTarget].
     *
     * @throws IllegalStateException if an ancestor is missing from {@code chain}
     */
    public static BigInteger expectedTarget(
            BlockHeader parent, HeaderSource chain, NetworkParameters params) {
        long height = parent.height() + 1;
        if (height % params.retargetWindow() != 0) {
            return parent.target();
        }
        BlockHeader first = ancestor(parent, height - params.retargetWindow(), chain);
        long expected = (params.retargetWindow() - 1L) * params.targetBlockInterval().toMillis();
        long actual = parent.timestampMillis() - first.timestampMillis();
        actual = Math.max(actual, expected / params.retargetClamp());
        actual = Math.min(actual, expected * params.retargetClamp());
        BigInteger next =
                parent.target()
                        .multiply(BigInteger.valueOf(actual))
                        .divide(BigInteger.valueOf(expected));
        if (next.compareTo(params.maxTarget()) > 0) {
            next = params.maxTarget();
        }
        if (next.signum() <= 0) {
            next = BigInteger.ONE;
        }
        return next;
    }

    /** The ancestor of {@code from} at {@code height}, walking parent links. */
    public static BlockHeader ancestor(BlockHeader from, long height, HeaderSource chain) {
        BlockHeader h = from;
        while (h.height() > height) {
            BlockHeader p = chain.header(h.previous());
            if (p == null) {
                throw new IllegalStateException(
                        "missing ancestor of "
                                + h
                                + " (wanted height "
                                + height
                                + ", parent "
                                + h.previous()
                                + ")");
            }
            h = p;
        }
        return h;
    }
}
