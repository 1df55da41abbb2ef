package io.p2pchat.node;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Peers banned for a while, by key (a PeerId's hex form or an IP address). Bounded: the oldest bans
 * are forgotten first when it is full.
 *
 * <p>Thread-safe.
 */
final class BanList {
    private final Clock clock;
    private final int capacity;
    private final LinkedHashMap<String, Long> until = new LinkedHashMap<>(); // guarded by this

    /** A list of at most {@code capacity} bans, timed by {@code clock}. */
    public BanList(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** Bans {@code key} for {@code duration}. */
    public synchronized void ban(String key, Duration duration) {
        until.remove(key);
        until.put(key, clock.millis() + duration.toMillis());
        while (until.size() > capacity) {
            Iterator<String> it = until.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** Whether {@code key} is banned now. */
    public synchronized boolean isBanned(String key) {
        Long t = until.get(key);
        if (t == null) {
            return false;
        }
        if (t <= clock.millis()) {
            until.remove(key);
            return false;
        }
        return true;
    }

    /** Forgets expired bans. */
    public synchronized void expire() {
        long now = clock.millis();
        until.values().removeIf(t -> t <= now);
    }

    /** Bans in force. */
    public synchronized int size() {
        expire();
        return until.size();
    }

    /** Lifts every ban. */
    public synchronized void clear() {
        until.clear();
    }

    @Override
    public synchronized String toString() {
        return "BanList[" + until.size() + "]";
    }

    /** A copy of the bans, for diagnostics. */
    public synchronized Map<String, Long> snapshot() {
        return Map.copyOf(until);
    }
}
