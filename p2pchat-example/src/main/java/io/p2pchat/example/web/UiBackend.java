package io.p2pchat.example.web;

import java.util.function.Consumer;

/**
 * What the web UI needs from the node: run a command line as the console would, tell about every
 * event, and describe the current state. The node's event and command model implements it; the
 * console is its other view.
 *
 * <h2>Threads</h2>
 *
 * {@link #submit} and {@link #snapshot} are called on the web server's event loop: they must not
 * block (hand the work to the node's own threads and answer through {@code replies} later). The
 * consumer given to {@link #subscribe} and the {@link CommandReplies} methods may be called on any
 * thread; they never block either (each page has a bounded backlog: a page that cannot keep up
 * misses events and is told to resynchronize).
 */
public interface UiBackend {
    /**
     * Runs {@code commandLine} (for example {@code /msg bob hello}) as if typed in the console. Its
     * answers (a {@code peers} table, an {@code error}) go to {@code replies}, and only to the page
     * that sent it; {@link CommandReplies#done} ends them. Events the command causes for everyone
     * (a {@code sent} message) go to subscribers as usual.
     */
    void submit(String commandLine, CommandReplies replies);

    /**
     * Sends every event from now on to {@code events} until the subscription is closed.
     *
     * @return what stops the events
     */
    Subscription subscribe(Consumer<UiEvent> events);

    /**
     * The current state for a page that starts or has missed events: an event of kind {@code
     * snapshot} (identity, network, ledger, peers, conversations; docs/web-ui.md lists the fields).
     */
    UiEvent snapshot();

    /** The answers to one command. */
    interface CommandReplies {
        /** One answer (an event only the asking page sees). */
        void reply(UiEvent event);

        /**
         * The command has finished; nothing more is replied after this.
         *
         * @param ok false if it failed (an {@code error} was replied)
         */
        void done(boolean ok);
    }

    /** A subscription to the backend's events. */
    interface Subscription extends AutoCloseable {
        /** No more events; idempotent. */
        @Override
        void close();
    }
}
