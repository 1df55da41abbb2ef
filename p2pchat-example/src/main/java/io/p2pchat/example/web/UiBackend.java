package io.p2pchat.example.web;

import java.util.concurrent.CompletableFuture;
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

    /**
     * The page showed the conversation with the identity {@code identityIdHex} up to its latest
     * message: its unread count is 0 for every page from now on (a reload included).
     */
    default void read(String identityIdHex) {}

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

        /**
         * Asks the person on the asking page a question in the middle of the command; never blocks.
         * The result completes with the answer, with null when the person cancelled, or
         * exceptionally with a {@link PromptException} saying why there is no answer (the page
         * closed, the time ran out, the answer was too long). A passphrase's answer is never
         * logged, published nor kept by the server.
         *
         * @param kind {@code passphrase} (a password field), {@code confirm-text} (a text the
         *     person must type) or {@code yes-no}
         * @param text the question, shown as text
         */
        default CompletableFuture<String> ask(String kind, String text) {
            return CompletableFuture.failedFuture(
                    new PromptException("this page answers no question"));
        }
    }

    /** Why a question to the page got no answer. */
    final class PromptException extends Exception {
        private static final long serialVersionUID = 1L;

        /** With the reason, a sentence for the person. */
        public PromptException(String message) {
            super(message, null, false, false);
        }
    }

    /** A subscription to the backend's events. */
    interface Subscription extends AutoCloseable {
        /** No more events; idempotent. */
        @Override
        void close();
    }
}
