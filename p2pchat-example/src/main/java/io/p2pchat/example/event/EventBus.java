package io.p2pchat.example.event;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands every published {@link Event} to every subscribed view, each through a queue of its own, so
 * that a slow view (a terminal scrolled back, a page on a slow link) never slows the node: an event
 * loop, the chat thread and the console thread publish without waiting.
 *
 * <p>Each subscription's queue holds at most {@code capacity} events. When it is full, the event is
 * not queued for that view, and the view is told: before its next event it gets one {@link
 * EventType#DROPPED} event with the count. Events are never lost silently, and the other views
 * still get them.
 *
 * <h2>Threading</h2>
 *
 * {@link #publish} is thread-safe and never blocks. Each subscription has one daemon thread that
 * owns its listener: the listener is called on that thread only, one event at a time, in publish
 * order. The queue is the only state the publishers and that thread share; the counters are atomic.
 * {@link Subscription#awaitDelivered} lets the thread that published (the console after a command)
 * wait until the view has shown what it published, with a time limit.
 */
public final class EventBus implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    /** Events a view may fall behind by, unless the subscriber says otherwise. */
    public static final int DEFAULT_CAPACITY = 4096;

    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();

    /** Subscribes {@code listener} with a queue of {@link #DEFAULT_CAPACITY} events. */
    public Subscription subscribe(String name, EventListener listener) {
        return subscribe(name, listener, DEFAULT_CAPACITY);
    }

    /**
     * Subscribes {@code listener}: it gets every event published from now on (short of those it
     * misses by falling more than {@code capacity} events behind), on a thread of its own.
     */
    public Subscription subscribe(String name, EventListener listener, int capacity) {
        Subscription s = new Subscription(name, listener, capacity);
        subscriptions.add(s);
        s.thread.start();
        return s;
    }

    @Override
    public void publish(Event event) {
        for (Subscription s : subscriptions) {
            s.offer(event);
        }
    }

    /** Waits until every subscription has delivered what was published so far, or {@code max}. */
    @Override
    public boolean flush(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        for (Subscription s : subscriptions) {
            long left = deadline - System.nanoTime();
            if (!s.awaitDelivered(Duration.ofNanos(Math.max(0, left)))) {
                return false;
            }
        }
        return true;
    }

    /** One view's place on the bus: its queue and its thread. */
    public final class Subscription implements AutoCloseable {
        private final EventListener listener;
        private final BlockingQueue<Event> queue;
        private final Thread thread;
        private final AtomicLong queued = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();
        private final AtomicLong unreported = new AtomicLong();
        private final Object progress = new Object();
        private long delivered; // guarded by progress
        private volatile boolean closed;

        private Subscription(String name, EventListener listener, int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity < 1: " + capacity);
            }
            this.listener = listener;
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.thread = new Thread(this::run, "p2pchat-events-" + name);
            this.thread.setDaemon(true);
        }

        private void offer(Event e) {
            if (closed) {
                return;
            }
            // Counted before it is queued, so that awaitDelivered never sees a delivered event
            // it did not count.
            queued.incrementAndGet();
            if (!queue.offer(e)) {
                queued.decrementAndGet();
                dropped.incrementAndGet();
                unreported.incrementAndGet();
            }
        }

        private void run() {
            try {
                while (!closed) {
                    Event e = queue.poll(1, TimeUnit.SECONDS);
                    if (e == null) {
                        continue;
                    }
                    long missed = unreported.getAndSet(0);
                    if (missed > 0) {
                        deliver(droppedEvent(missed));
                    }
                    deliver(e);
                    synchronized (progress) {
                        delivered++;
                        progress.notifyAll();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void deliver(Event e) {
            try {
                listener.onEvent(e);
            } catch (RuntimeException ex) {
                // A view that fails on one event still gets the next.
                log.warn("a view failed on a {} event", e.kind(), ex);
            }
        }

        /** How many events this view missed because it fell behind. */
        public long dropped() {
            return dropped.get();
        }

        /**
         * Waits until this view has been given every event published before the call, at most
         * {@code max}.
         *
         * @return false on time-out
         */
        public boolean awaitDelivered(Duration max) throws InterruptedException {
            long target = queued.get();
            long deadline = System.nanoTime() + max.toNanos();
            synchronized (progress) {
                while (delivered < target && !closed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                }
            }
            return true;
        }

        /** Stops this view's thread; events still queued are not delivered. */
        @Override
        public void close() {
            closed = true;
            subscriptions.remove(this);
            thread.interrupt();
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /** The event that tells a view how many it missed. */
    static Event droppedEvent(long count) {
        String text =
                count
                        + (count == 1 ? " event was" : " events were")
                        + " not shown here: this view fell behind the node";
        return Event.of(
                Event.Form.LINE, EventType.DROPPED.jsonName(), "error: " + text, "count", count);
    }
}
