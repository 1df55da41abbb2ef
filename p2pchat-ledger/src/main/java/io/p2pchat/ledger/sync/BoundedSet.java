package io.p2pchat.ledger.sync;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A set that forgets its oldest entries beyond a capacity: for "already seen" and "peer knows"
 * inventories, whose memory must stay bounded.
 *
 * <p>Not thread-safe unless wrapped: {@link #synchronizedSet} returns a thread-safe view.
 */
final class BoundedSet<T> {
    private final LinkedHashMap<T, Boolean> map;

    /** A set of at most {@code capacity} entries. */
    public BoundedSet(int capacity) {
        this.map =
                new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<T, Boolean> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /** Adds; returns whether it was absent. */
    public boolean add(T t) {
        return map.put(t, Boolean.TRUE) == null;
    }

    /** Whether present (and refreshes it). */
    public boolean contains(T t) {
        return map.get(t) != null;
    }

    /** Removes. */
    public void remove(T t) {
        map.remove(t);
    }

    /** Current size. */
    public int size() {
        return map.size();
    }

    /** A thread-safe wrapper. */
    public static <T> Synchronized<T> synchronizedSet(int capacity) {
        return new Synchronized<>(new BoundedSet<>(capacity));
    }

    /** A thread-safe bounded set. */
    public static final class Synchronized<T> {
        private final BoundedSet<T> set;

        Synchronized(BoundedSet<T> set) {
            this.set = set;
        }

        public synchronized boolean add(T t) {
            return set.add(t);
        }

        public synchronized boolean contains(T t) {
            return set.contains(t);
        }

        public synchronized void remove(T t) {
            set.remove(t);
        }

        public synchronized int size() {
            return set.size();
        }
    }
}
