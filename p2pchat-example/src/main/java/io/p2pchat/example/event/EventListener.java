package io.p2pchat.example.event;

/** A view of the node's events: the console, a web page. */
@FunctionalInterface
public interface EventListener {
    /**
     * Shows {@code event}. Called on the {@link EventBus}'s thread for this listener, one event at
     * a time, in the order they were published; it may take its time (a slow terminal), at the cost
     * of events it then misses, which it is told of ({@link EventType#DROPPED}).
     */
    void onEvent(Event event);
}
