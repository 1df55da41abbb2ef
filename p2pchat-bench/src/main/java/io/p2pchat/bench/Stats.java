package io.p2pchat.bench;

import java.util.Arrays;

/** Medians and percentiles. */
final class Stats {
    private Stats() {}

    /** The median of {@code values}, NaN when empty. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The spread of {@code values} around their median: (max - min) / median / 2. */
    static double halfSpread(double[] values) {
        if (values.length < 2) {
            return 0;
        }
        double min = Arrays.stream(values).min().orElse(0);
        double max = Arrays.stream(values).max().orElse(0);
        double m = median(values);
        return m == 0 ? 0 : (max - min) / m / 2;
    }

    /** The {@code q}-quantile (0..1) of the first {@code n} samples, sorted in place. */
    static double percentile(long[] samples, int n, double q) {
        if (n == 0) {
            return Double.NaN;
        }
        Arrays.sort(samples, 0, n);
        int idx = (int) Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
        return samples[idx];
    }
}
