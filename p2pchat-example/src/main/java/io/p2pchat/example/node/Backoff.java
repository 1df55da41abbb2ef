package io.p2pchat.example.node;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter, as bitcoind retries its seeds: the first delay is {@code min},
 * each next one doubles, up to {@code max}; each is drawn within ±20 % of that.
 */
final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;
    private int attempts;

    Backoff(Duration min, Duration max) {
        this.minMillis = Math.max(1, min.toMillis());
        this.maxMillis = Math.max(minMillis, max.toMillis());
        this.nextMillis = minMillis;
    }

    /** The delay before the next attempt. */
    Duration next() {
        attempts++;
        long base = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis(
                Math.max(minMillis, Math.min(maxMillis, Math.round(base * jitter))));
    }

    /** How many attempts failed so far. */
    int attempts() {
        return attempts;
    }
}
