package io.p2pchat.example.web;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link UiBackend} for the tests: it records the command lines it gets, answers each with what
 * {@link #answers} says, publishes the events a test gives it to every subscriber, and describes
 * the state with a fixed snapshot.
 */
final class TestBackend implements UiBackend {
    final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    private final List<Consumer<UiEvent>> subscribers = new CopyOnWriteArrayList<>();
    private volatile UiEvent snapshot = UiEvent.of("snapshot", Map.of());
    final BlockingQueue<String> reads = new LinkedBlockingQueue<>();
    private volatile Function<String, List<UiEvent>> answers = line -> List.of();
    private volatile BiConsumer<String, CommandReplies> handler;

    /** From now on, the state pages get. */
    void snapshot(UiEvent s) {
        this.snapshot = s;
    }

    /** From now on, how commands are answered (the events replied to the asking page). */
    void answers(Function<String, List<UiEvent>> a) {
        this.answers = a;
    }

    /** From now on, commands go to {@code h} instead (which answers them when it likes). */
    void handler(BiConsumer<String, CommandReplies> h) {
        this.handler = h;
    }

    /** Sends {@code e} to every subscriber, on the caller's thread. */
    void publish(UiEvent e) {
        for (Consumer<UiEvent> s : subscribers) {
            s.accept(e);
        }
    }

    int subscribers() {
        return subscribers.size();
    }

    @Override
    public void submit(String commandLine, CommandReplies replies) {
        commands.add(commandLine);
        BiConsumer<String, CommandReplies> h = handler;
        if (h != null) {
            h.accept(commandLine, replies);
            return;
        }
        for (UiEvent e : answers.apply(commandLine)) {
            replies.reply(e);
        }
        replies.done(true);
    }

    @Override
    public Subscription subscribe(Consumer<UiEvent> events) {
        subscribers.add(events);
        return () -> subscribers.remove(events);
    }

    @Override
    public void read(String identityIdHex) {
        reads.add(identityIdHex);
    }

    @Override
    public UiEvent snapshot() {
        return snapshot;
    }
}
