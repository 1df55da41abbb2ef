package io.p2pchat.util;

/**
 * A token bucket for per-channel rate limits: {@code capacity} events at once, refilled at {@code
 * ratePerSecond}. Time comes from the caller (the event loop's ticker), so tests can drive it.
 *
 * <p>Not thread-safe: used on one event loop.
 */
public final class TokenBucket {
    private final double capacity;
    private final double ratePerNano;
    private double tokens;
    private long lastNanos;
    private boolean started;

    /** Creates a full bucket. */
    public TokenBucket(int capacity, double ratePerSecond) {
        if (capacity < 1 || ratePerSecond <= 0) {
            throw new IllegalArgumentException(
                    "capacity: "
                            + capacity
                            + ", ratePerSecond: "
                            + ratePerSecond
                            + " (expected: > 0)");
        }
        this.capacity = capacity;
        this.ratePerNano = ratePerSecond / 1e9;
        this.tokens = capacity;
    }

    /** Takes one token at time {@code nowNanos}; false when the bucket is empty. */
    public boolean tryAcquire(long nowNanos) {
        if (started) {
            long elapsed = nowNanos - lastNanos;
            if (elapsed > 0) {
                tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
            }
        }
        started = true;
        lastNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
