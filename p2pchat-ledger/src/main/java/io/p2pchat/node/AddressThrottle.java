package io.p2pchat.node;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.LongSupplier;

/**
 * Slows down new inbound connections from an IP address that keeps failing, instead of banning it:
 * many people may share one address behind a NAT (docs/protocol.md §11.1).
 *
 * <p>Failures are failed inbound handshakes, connections closed for a violation that bans a key,
 * and connections by a banned key. A failure is remembered until {@code memory} passes without
 * another one from the address. Once an address has {@code freeFailures} failures remembered, it is
 * throttled: a new connection from it is admitted only if {@code spacing} has passed since the
 * later of its last failure and its last admitted connection, and refused at once otherwise (before
 * any handshake work). Connections from other addresses, and established connections, are not
 * affected; nothing is refused for good.
 *
 * <p>Bounded: at most {@code capacity} addresses are remembered, the least recently seen forgotten
 * first. Times come from a monotonic clock.
 *
 * <p>Thread-safe.
 */
final class AddressThrottle {
    /** Failures tolerated from one address before it is throttled, by default. */
    public static final int DEFAULT_FREE_FAILURES = 5;

    /** The least time between two admitted connections of a throttled address, by default. */
    public static final Duration DEFAULT_SPACING = Duration.ofSeconds(1);

    /** How long a failure is remembered without another one, by default. */
    public static final Duration DEFAULT_MEMORY = Duration.ofMinutes(1);

    private final LongSupplier nanoTime;
    private final int freeFailures;
    private final long spacingNanos;
    private final long memoryNanos;
    private final int capacity;
    private final LinkedHashMap<String, State> states = new LinkedHashMap<>(16, 0.75f, true);
    private long refused; // guarded by this

    private static final class State {
        int failures;
        long lastFailure;
        long lastAdmitted;
    }

    /**
     * A throttle.
     *
     * @param nanoTime a monotonic clock in nanoseconds
     * @param freeFailures failures remembered before an address is throttled, at least 1
     * @param spacing least time between admitted connections of a throttled address, positive
     * @param memory how long a failure is remembered without another one, at least {@code spacing}
     * @param capacity addresses remembered at most, at least 1
     */
    public AddressThrottle(
            LongSupplier nanoTime,
            int freeFailures,
            Duration spacing,
            Duration memory,
            int capacity) {
        if (freeFailures < 1) {
            throw new IllegalArgumentException(
                    "freeFailures: " + freeFailures + " (expected: >= 1)");
        }
        if (spacing.isNegative() || spacing.isZero() || memory.compareTo(spacing) < 0) {
            throw new IllegalArgumentException(
                    "spacing: "
                            + spacing
                            + ", memory: "
                            + memory
                            + " (expected: 0 < spacing <= memory)");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        this.nanoTime = nanoTime;
        this.freeFailures = freeFailures;
        this.spacingNanos = spacing.toNanos();
        this.memoryNanos = memory.toNanos();
        this.capacity = capacity;
    }

    /** Whether a new connection from {@code host} may proceed now; counts it if so. */
    public synchronized boolean tryAdmit(String host) {
        long now = nanoTime.getAsLong();
        State s = live(host, now);
        if (s == null || s.failures < freeFailures) {
            return true;
        }
        long since = Math.max(s.lastFailure, s.lastAdmitted);
        if (now - since >= spacingNanos) {
            s.lastAdmitted = now;
            return true;
        }
        refused++;
        return false;
    }

    /** Records a failure of {@code host}. */
    public synchronized void failed(String host) {
        long now = nanoTime.getAsLong();
        State s = live(host, now);
        if (s == null) {
            s = new State();
            states.put(host, s);
            while (states.size() > capacity) {
                Iterator<String> it = states.keySet().iterator();
                it.next();
                it.remove();
            }
        }
        s.failures++;
        s.lastFailure = now;
    }

    /** Whether {@code host} is throttled now. */
    public synchronized boolean isThrottled(String host) {
        State s = live(host, nanoTime.getAsLong());
        return s != null && s.failures >= freeFailures;
    }

    /** Connections refused so far. */
    public synchronized long refused() {
        return refused;
    }

    /** Forgets addresses whose failures are older than the memory. */
    public synchronized void expire() {
        long now = nanoTime.getAsLong();
        states.values().removeIf(s -> now - s.lastFailure >= memoryNanos);
    }

    /** Addresses remembered now, for diagnostics. */
    public synchronized int size() {
        expire();
        return states.size();
    }

    private State live(String host, long now) {
        State s = states.get(host);
        if (s != null && now - s.lastFailure >= memoryNanos) {
            states.remove(host);
            return null;
        }
        return s;
    }

    @Override
    public synchronized String toString() {
        return "AddressThrottle[" + states.size() + " addresses, refused " + refused + "]";
    }
}
