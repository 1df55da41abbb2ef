package io.p2pchat.example.web;

import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.command.Command;
import io.p2pchat.example.command.CommandExecutor;
import io.p2pchat.example.command.CommandParser;
import io.p2pchat.example.command.CommandSyntaxException;
import io.p2pchat.example.command.IdentityCommands;
import io.p2pchat.example.command.Prompter;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.Event;
import io.p2pchat.example.event.EventBus;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.event.LedgerEvents;
import io.p2pchat.example.event.SessionEvents;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.node.IdentityLifecycle;
import io.p2pchat.example.text.UserError;
import io.p2pchat.node.NodePeer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web page's view of the node, over the same event and command model as the console: a line
 * from the page is parsed by the {@link CommandParser} and run by a {@link CommandExecutor}, as the
 * console runs it; pages subscribe to the node's {@link EventBus}, as the console's output does.
 * Nothing a command or an event does is written again here: this class only routes.
 *
 * <h2>Routing</h2>
 *
 * A command's answers ({@code peers}, {@code fingerprint}, {@code error}...) go to the page that
 * asked; a message it sends ({@code sent}) goes to the bus, so that the console and every page show
 * it. A command that asks the person a question (the passphrase of {@code /identity rotate}, the
 * name typed to confirm {@code /identity revoke}) asks the page that sent it ({@link
 * CommandReplies#ask}) and waits for the answer on the command thread; no answer in time cancels
 * the command, saying so. {@code /quit} is refused: stopping the node belongs to its console (a
 * revocation stops it too, as in the console, through the hook given to {@link #identityCommands}).
 *
 * <h2>Threads</h2>
 *
 * {@link #submit} only queues the line (at most {@value #MAX_QUEUED_COMMANDS} lines; more are
 * refused at once) for one thread of its own, {@code p2pchat-web-commands}, which runs the commands
 * one at a time and may wait for the node; the web event loop never waits. {@link #snapshot} reads
 * {@link UiState} and the node's in-memory state.
 */
public final class NodeUiBackend implements UiBackend, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeUiBackend.class);

    /** Lines from all pages waiting for the command thread. */
    static final int MAX_QUEUED_COMMANDS = 64;

    /** Events a page's bus subscription may fall behind by (the page's own backlog is next). */
    static final int SUBSCRIPTION_CAPACITY = 2000;

    /** The longest a command waits for a page's answer (the server withdraws it sooner). */
    private static final long MAX_PROMPT_WAIT_MINUTES = 31;

    /**
     * Events a command publishes that every view shows, not only the asking page: a message sent,
     * and what an identity action changed for good.
     */
    static final Set<String> FOR_EVERYONE =
            Set.of("sent", "rotated", "revoked", "addresses_updated");

    private final ChatNode chatNode;
    private final EventBus bus;
    private final UiState state;
    private final LedgerEvents ledgerEvents;
    private final EventBus.Subscription stateSubscription;
    private final RoutingSink sink = new RoutingSink();
    private final CommandExecutor executor;
    private final CommandParser parser = new CommandParser();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private volatile Runnable stopNode = () -> {};
    private final ThreadPoolExecutor commands =
            new ThreadPoolExecutor(
                    1,
                    1,
                    0,
                    TimeUnit.MILLISECONDS,
                    new ArrayBlockingQueue<>(MAX_QUEUED_COMMANDS),
                    r -> {
                        Thread t = new Thread(r, "p2pchat-web-commands");
                        t.setDaemon(true);
                        return t;
                    });

    private NodeUiBackend(ChatNode chatNode, EventBus bus, ChatEvents events) {
        this.chatNode = chatNode;
        this.bus = bus;
        this.state = new UiState(chatNode);
        this.executor = new CommandExecutor(chatNode, sink);
        this.stateSubscription = bus.subscribe("web-state", state, EventBus.DEFAULT_CAPACITY);
        this.ledgerEvents = new LedgerEvents(chatNode.ledger(), bus);
        chatNode.ledger().addListener(ledgerEvents);
        SessionEvents sessions = new SessionEvents(bus, chatNode.ledger());
        events.sessionDetails(sessions);
        // Channels opened before the page existed (the one a joining node syncs through).
        for (NodePeer p : chatNode.node().peers()) {
            sessions.connected(p, (String) CommandExecutor.peerRow(p).get("peer"));
        }
    }

    /**
     * The backend of a node: subscribes its state to {@code bus}, publishes blocks and the steps of
     * each channel there from now on, and loads the stored conversations on its command thread.
     *
     * @param events the node's chat listener (it then also reports each channel's steps)
     * @param contacts the node's contacts, whose conversations the page lists
     */
    public static NodeUiBackend start(
            ChatNode chatNode, EventBus bus, ChatEvents events, ContactStore contacts) {
        NodeUiBackend b = new NodeUiBackend(chatNode, bus, events);
        b.commands.execute(
                () -> {
                    try {
                        b.state.load(contacts);
                        // Pages that opened meanwhile get the stored conversations now.
                        bus.publish(new Event("snapshot", "", Map.of(), Event.Form.DETAIL));
                    } catch (Exception e) {
                        LOG.debug("web UI: the stored conversations were not all loaded", e);
                        bus.error(
                                "the web page may miss older messages: "
                                        + io.p2pchat.example.text.Explain.unwrap(e).getMessage());
                    }
                });
        return b;
    }

    /**
     * Enables {@code /identity} on the page (show, rotate, revoke, address, name).
     *
     * @param stopNode stops the node after the page revoked its identity (the console stops it
     *     after its own {@code /identity revoke}); called once, on a thread of its own
     */
    public void identityCommands(IdentityLifecycle lifecycle, Runnable stopNode) {
        this.stopNode = stopNode;
        state.identityActions(true);
        executor.identityCommands(
                new IdentityCommands(
                        chatNode,
                        sink,
                        lifecycle,
                        () -> {
                            throw new UserError("the page gave no passphrase");
                        }));
    }

    @Override
    public void submit(String commandLine, CommandReplies replies) {
        try {
            commands.execute(() -> run(commandLine, replies));
        } catch (RejectedExecutionException e) {
            replies.reply(
                    UiEvent.of(
                            "error",
                            Map.of(
                                    "message",
                                    "the node is still busy with earlier commands: try again in"
                                            + " a moment")));
            replies.done(false);
        }
    }

    private void run(String line, CommandReplies replies) {
        sink.begin(replies);
        try {
            Optional<Command> command = parser.parse(line);
            if (command.isEmpty()) {
                return;
            }
            Command c = command.get();
            if (c instanceof Command.Quit) {
                sink.error(
                        "/quit stops the node: use its console (closing this page leaves the node"
                                + " running)");
            } else if (!executor.execute(c, prompter(replies, c.verb()))
                    && c instanceof Command.Identity i
                    && i.action().equals("revoke")
                    && !Thread.currentThread().isInterrupted()) {
                // The identity was revoked: the node stops, as after the console's revoke (not
                // when the command thread was interrupted: the node is stopping already).
                Thread t = new Thread(stopNode, "p2pchat-web-stop");
                t.setDaemon(false);
                t.start();
            }
        } catch (CommandSyntaxException e) {
            sink.error(e.getMessage());
        } catch (RuntimeException e) {
            LOG.debug("web UI command failed", e);
            sink.error(line.split("\\s+", 2)[0] + " failed: " + e.getMessage());
        } finally {
            replies.done(sink.end());
        }
    }

    /**
     * Asks the page that sent the command, and waits for its answer on the command thread: the
     * answer, null if the person cancelled; no answer (time ran out, the page closed) cancels the
     * command with a sentence saying why. A passphrase is passed on, never logged nor published.
     */
    private static Prompter prompter(CommandReplies replies, String verb) {
        return (prompt, secret) -> {
            String question = prompt.strip();
            String kind =
                    secret
                            ? "passphrase"
                            : question.matches("(?is).*\\[y/n\\]:?$") ? "yes-no" : "confirm-text";
            try {
                return replies.ask(kind, question).get(MAX_PROMPT_WAIT_MINUTES, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
                throw new UserError(
                        verb
                                + " cancelled: "
                                + e.getCause().getMessage()
                                + "; nothing was changed");
            } catch (TimeoutException e) {
                throw new UserError(verb + " cancelled: no answer; nothing was changed");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError(verb + " cancelled: the node is stopping");
            }
        };
    }

    @Override
    public void read(String identityIdHex) {
        if (state.read(identityIdHex)) {
            // Every page (and a reload) shows it read.
            bus.publish(
                    new Event("read", "", Map.of("identity_id", identityIdHex), Event.Form.DETAIL));
        }
    }

    @Override
    public Subscription subscribe(Consumer<UiEvent> events) {
        EventBus.Subscription s =
                bus.subscribe(
                        "web-page-" + subscriptions.incrementAndGet(),
                        e ->
                                events.accept(
                                        e.kind().equals("snapshot") ? state.snapshot() : toUi(e)),
                        SUBSCRIPTION_CAPACITY);
        return s::close;
    }

    @Override
    public UiEvent snapshot() {
        return state.snapshot();
    }

    /** Stops the command thread and the events for the page. */
    @Override
    public void close() {
        commands.shutdownNow();
        stateSubscription.close();
        chatNode.ledger().removeListener(ledgerEvents);
    }

    /**
     * The page's form of an event: its fields as {@code --json} prints them, and {@code display},
     * the line a console shows (for the page's activity log; inserted there as text).
     */
    static UiEvent toUi(Event e) {
        Map<String, Object> f = new LinkedHashMap<>(e.fields());
        f.remove("event");
        if (!e.text().isEmpty()) {
            f.putIfAbsent("display", e.text());
        }
        return UiEvent.of(e.kind(), f);
    }

    /**
     * Where the command thread's executor publishes: the asking page while a command runs, the bus
     * for messages sent (everyone shows them) and for anything published outside a command.
     */
    private final class RoutingSink implements EventSink {
        private volatile @Nullable CommandReplies current;
        private volatile boolean failed;

        void begin(CommandReplies replies) {
            failed = false;
            current = replies;
        }

        /** Ends the command; true if it reported no error. */
        boolean end() {
            current = null;
            return !failed;
        }

        @Override
        public void publish(Event e) {
            CommandReplies r = current;
            if (FOR_EVERYONE.contains(e.kind()) || r == null) {
                // A console shows a message sent from the page, though nobody typed it there.
                bus.publish(
                        e.form() == Event.Form.QUIET_ON_TERMINAL
                                ? new Event(e.kind(), e.text(), e.fields(), Event.Form.LINE)
                                : e);
                return;
            }
            if (e.kind().equals("error")) {
                failed = true;
            }
            state.onEvent(e); // a contact verified or accepted on the page
            r.reply(toUi(e));
        }
    }
}
