package io.p2pchat.example.chat;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityRecord;
import io.p2pchat.ledger.PeerAccess;
import io.p2pchat.node.Node;
import io.p2pchat.node.NodeApplicationHandler;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatAck;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.proto.NodeMessage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat of the reference client, on top of a {@link Node}: messages, acknowledgements, resends
 * and the encrypted history of each conversation.
 *
 * <h2>Protocol</h2>
 *
 * <ul>
 *   <li>A message ({@link ChatMessage}: 16 random bytes of id, the sender's clock, the text) is
 *       first stored in the sender's history, then sent in a {@link NodeMessage} to the peer's
 *       connection, if there is one.
 *   <li>The receiver stores it (fsync) unless it has stored that id before, then answers with a
 *       {@link ChatAck}; the sender records the acknowledgement.
 *   <li>Unacknowledged messages are sent again, oldest first, when the peer connects and every
 *       {@value #RESEND_AFTER_SECONDS} s while it stays connected; the receiver drops the
 *       duplicates (but acknowledges them again). Each message is therefore shown exactly once.
 *   <li>Messages go only to, and are only taken from, peers with {@link PeerAccess#FULL} access:
 *       identities confirmed on this node's ledger ({@link Node} drops the others' messages).
 * </ul>
 *
 * A conversation is keyed by the peer's identity id, so it survives reconnections and restarts; its
 * fingerprint ({@link ChatHistory#fingerprint()}) is the same on both sides.
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. All state and all history I/O (fsync) live on one chat thread, never on a Netty
 * event loop; the {@link Listener} is called there. Work queued for it is bounded ({@value
 * #MAX_QUEUED} tasks): an incoming message that does not fit is dropped unacknowledged, and the
 * sender sends it again.
 */
public final class ChatService implements NodeApplicationHandler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatService.class);

    /** The longest text accepted, in characters (chat.proto). */
    public static final int MAX_TEXT_CHARS = 4096;

    /** Size of a message id. */
    public static final int MESSAGE_ID_BYTES = 16;

    /** Unacknowledged messages are sent again after this long on the same connection. */
    public static final int RESEND_AFTER_SECONDS = 5;

    static final int MAX_QUEUED = 10_000;

    /** A conversation partner: an identity on the ledger. */
    public record Contact(PeerId id, String name) {
        /** The contact of a ledger identity: its display name, or its short id. */
        public static Contact of(IdentityRecord record) {
            return new Contact(record.id(), record.displayName().orElse(record.id().shortId()));
        }
    }

    /**
     * What the chat reports to the user interface; called on the chat thread, in order. Must not
     * block.
     */
    public interface Listener {
        /** A new message was received and stored. */
        default void onReceived(Contact from, ChatMessage message) {}

        /** The peer acknowledged that it stored a message we sent. */
        default void onDelivered(Contact to, ChatMessage message) {}

        /** A secure connection to a node was established (any access). */
        default void onConnected(NodePeer peer, Optional<Contact> contact) {}

        /** A peer that was sync-only is now a confirmed identity: chat works. */
        default void onConfirmed(NodePeer peer, Contact contact) {}

        /** A connected peer's identity revealed its name on the ledger. */
        default void onNamed(NodePeer peer, Contact contact) {}

        /** A connection closed. */
        default void onDisconnected(NodePeer peer, Optional<Contact> contact) {}

        /** Something the user should know (a history that cannot be read, a dropped message). */
        default void onProblem(String text) {}
    }

    private final Path historyDir;
    private final HistoryKey key;
    private final LocalIdentity self;
    private final Listener listener;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledThreadPoolExecutor thread;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();

    // Confined to the chat thread.
    private final Map<PeerId, ChatHistory> histories = new HashMap<>();
    private final Map<ByteString, Long> lastSentNanos = new HashMap<>();
    private final Map<ByteString, NodePeer> lastSentOn = new HashMap<>();
    private final Set<PeerId> wanted = new HashSet<>();
    private final Map<PeerId, Long> redialAfterNanos = new HashMap<>();
    private final Map<PeerId, Integer> redialFailures = new HashMap<>();
    private final Set<PeerId> dialing = new HashSet<>();
    private final Map<NodePeer, PeerAccess> accessSeen = new HashMap<>();
    private final Set<NodePeer> unnamed = new HashSet<>();

    /** The connection reported to the listener for each key (one at a time). */
    private final Map<PeerId, NodePeer> reported = new HashMap<>();

    private volatile Node node;
    private volatile ScheduledFuture<?> maintenance;
    private volatile boolean closed;

    /**
     * A chat service keeping its histories in {@code historyDir}, encrypted with {@code key}, as
     * {@code self}.
     */
    public ChatService(
            Path historyDir, HistoryKey key, LocalIdentity self, Listener listener, Clock clock) {
        this.historyDir = Objects.requireNonNull(historyDir, "historyDir");
        this.key = Objects.requireNonNull(key, "key");
        this.self = Objects.requireNonNull(self, "self");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "p2pchat-chat");
                            t.setDaemon(true);
                            return t;
                        });
        thread.setRemoveOnCancelPolicy(true);
    }

    /**
     * Binds the service to its node (built with {@code .application(this)}), opens the existing
     * histories and starts the resend and redial timer.
     */
    public void attach(Node node) {
        this.node = Objects.requireNonNull(node, "node");
        call(
                () -> {
                    openExisting();
                    return null;
                });
        maintenance = thread.scheduleWithFixedDelay(this::maintain, 1, 1, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ API (any thread)

    /**
     * Stores a message to {@code to} and sends it if the peer is connected (else it is sent when it
     * connects; this service also dials it).
     *
     * @return completes with the message once it is stored in the history
     */
    public CompletableFuture<ChatMessage> send(Contact to, String text) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(text, "text");
        if (text.isEmpty() || text.length() > MAX_TEXT_CHARS) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException(
                            "a message has 1 to " + MAX_TEXT_CHARS + " characters"));
        }
        return call(
                () -> {
                    byte[] id = new byte[MESSAGE_ID_BYTES];
                    random.nextBytes(id);
                    long now = clock.millis();
                    ChatMessage m =
                            ChatMessage.newBuilder()
                                    .setMessageId(ByteString.copyFrom(id))
                                    .setSentAtMs(now)
                                    .setText(text)
                                    .build();
                    conversation(to.id()).sent(m, now);
                    sent.incrementAndGet();
                    wanted.add(to.id());
                    flush(to.id(), false);
                    return m;
                });
    }

    /** The stored messages of the conversation with {@code peer}, oldest first. */
    public CompletableFuture<List<HistoryEntry>> history(PeerId peer) {
        return call(() -> conversation(peer).messages());
    }

    /** Whether a sent message has been acknowledged. */
    public CompletableFuture<Boolean> isAcknowledged(PeerId peer, ByteString messageId) {
        return call(() -> conversation(peer).isAcknowledged(messageId));
    }

    /** The conversation fingerprint with {@code peer} (the same on both sides). */
    public CompletableFuture<String> conversationFingerprint(PeerId peer) {
        return call(() -> conversation(peer).fingerprint());
    }

    /** Messages to {@code peer} not acknowledged yet. */
    public CompletableFuture<Integer> pending(PeerId peer) {
        return call(() -> conversation(peer).unacknowledged().size());
    }

    /** Messages to anybody not acknowledged yet. */
    public CompletableFuture<Integer> totalPending() {
        return call(
                () -> {
                    int n = 0;
                    for (ChatHistory h : histories.values()) {
                        n += h.unacknowledged().size();
                    }
                    return n;
                });
    }

    /** Keeps (re)dialing the identity while the service runs, as for a pending message. */
    public void keepConnected(PeerId identityId) {
        call(
                () -> {
                    wanted.add(identityId);
                    redialAfterNanos.remove(identityId);
                    return null;
                });
    }

    /** The open connection to an identity's current key, if any. */
    public Optional<NodePeer> peerOf(PeerId identityId) {
        Node n = node;
        if (n == null) {
            return Optional.empty();
        }
        return n.ledger().identity(identityId).flatMap(r -> n.peer(r.currentKeyId()));
    }

    /** Messages sent by this service since it started. */
    public long sentCount() {
        return sent.get();
    }

    /** Messages received (new, stored) since it started. */
    public long receivedCount() {
        return received.get();
    }

    /** Acknowledgements received since it started. */
    public long deliveredCount() {
        return delivered.get();
    }

    // ------------------------------------------------------------------ node callbacks (event
    // loop)

    @Override
    public void onMessage(NodePeer peer, NodeMessage message) {
        switch (message.getBodyCase()) {
            case CHAT -> submit(() -> onChat(peer, message.getChat()), "a message");
            case CHAT_ACK -> submit(() -> onAck(peer, message.getChatAck()), "an acknowledgement");
            default -> log.debug("ignored a {} message", message.getBodyCase());
        }
    }

    @Override
    public void onPeerConnected(NodePeer peer) {
        submit(
                () -> {
                    PeerAccess access = peer.access();
                    accessSeen.put(peer, access);
                    Optional<Contact> contact = peer.identity().map(Contact::of);
                    if (peer.identity().flatMap(IdentityRecord::displayName).isEmpty()) {
                        unnamed.add(peer);
                    }
                    // When both sides dial at once, the node keeps one connection and closes the
                    // other: the person sees one "connected", not two and a "disconnected".
                    NodePeer previous = reported.put(peer.keyId(), peer);
                    if (previous == null) {
                        listener.onConnected(peer, contact);
                    }
                    if (access == PeerAccess.FULL && contact.isPresent()) {
                        flush(contact.get().id(), true);
                    }
                },
                "a connection");
    }

    @Override
    public void onPeerDisconnected(NodePeer peer) {
        submit(
                () -> {
                    accessSeen.remove(peer);
                    unnamed.remove(peer);
                    if (reported.get(peer.keyId()) != peer) {
                        return; // a duplicate connection that lost
                    }
                    Node n = node;
                    Optional<NodePeer> other =
                            n == null
                                    ? Optional.empty()
                                    : n.peer(peer.keyId()).filter(p -> p != peer);
                    if (other.isPresent()) {
                        reported.put(peer.keyId(), other.get());
                        return;
                    }
                    reported.remove(peer.keyId());
                    listener.onDisconnected(peer, peer.identity().map(Contact::of));
                },
                "a disconnection");
    }

    // ------------------------------------------------------------------ chat thread

    private void onChat(NodePeer peer, ChatMessage m) throws IOException {
        Optional<IdentityRecord> rec = peer.identity();
        if (rec.isEmpty()) {
            return; // Node delivers only confirmed identities' messages
        }
        if (m.getMessageId().size() != MESSAGE_ID_BYTES
                || m.getText().isEmpty()
                || m.getText().length() > MAX_TEXT_CHARS) {
            log.info("dropped a malformed chat message from {}", rec.get().id().shortId());
            return;
        }
        Contact from = Contact.of(rec.get());
        boolean fresh = conversation(from.id()).received(m.toByteString(), clock.millis());
        peer.send(
                NodeMessage.newBuilder()
                        .setChatAck(ChatAck.newBuilder().setMessageId(m.getMessageId()))
                        .build());
        if (fresh) {
            received.incrementAndGet();
            listener.onReceived(from, m);
        }
    }

    private void onAck(NodePeer peer, ChatAck ack) throws IOException {
        Optional<IdentityRecord> rec = peer.identity();
        if (rec.isEmpty()) {
            return;
        }
        Contact to = Contact.of(rec.get());
        ChatHistory h = conversation(to.id());
        ChatMessage m = null;
        for (ChatMessage u : h.unacknowledged()) {
            if (u.getMessageId().equals(ack.getMessageId())) {
                m = u;
                break;
            }
        }
        if (m != null && h.acknowledged(ack.getMessageId(), clock.millis())) {
            lastSentNanos.remove(ack.getMessageId());
            lastSentOn.remove(ack.getMessageId());
            delivered.incrementAndGet();
            listener.onDelivered(to, m);
        }
    }

    /**
     * Sends the unacknowledged messages to {@code id}, oldest first, that were not sent on the
     * current connection (or, with {@code resend}, not within the resend interval).
     */
    private void flush(PeerId id, boolean resend) {
        Optional<NodePeer> peer = peerOf(id);
        ChatHistory h = histories.get(id);
        if (h == null) {
            return;
        }
        List<ChatMessage> pending = h.unacknowledged();
        if (pending.isEmpty()) {
            return;
        }
        if (peer.isEmpty() || peer.get().access() != PeerAccess.FULL) {
            wanted.add(id);
            return;
        }
        NodePeer p = peer.get();
        long now = System.nanoTime();
        for (ChatMessage m : pending) {
            Long last = lastSentNanos.get(m.getMessageId());
            boolean sentHere = lastSentOn.get(m.getMessageId()) == p;
            boolean due =
                    !sentHere
                            || (resend
                                    && last != null
                                    && now - last > TimeUnit.SECONDS.toNanos(RESEND_AFTER_SECONDS));
            if (due) {
                p.send(NodeMessage.newBuilder().setChat(m).build());
                lastSentNanos.put(m.getMessageId(), now);
                lastSentOn.put(m.getMessageId(), p);
            }
        }
    }

    private void maintain() {
        if (closed) {
            return;
        }
        try {
            for (Map.Entry<NodePeer, PeerAccess> e : new ArrayList<>(accessSeen.entrySet())) {
                PeerAccess now = e.getKey().access();
                if (now != e.getValue()) {
                    accessSeen.put(e.getKey(), now);
                    Optional<IdentityRecord> rec = e.getKey().identity();
                    if (now == PeerAccess.FULL && rec.isPresent()) {
                        if (rec.get().displayName().isPresent()) {
                            unnamed.remove(e.getKey()); // the confirmation already names it
                        }
                        listener.onConfirmed(e.getKey(), Contact.of(rec.get()));
                    }
                }
            }
            for (NodePeer p : new ArrayList<>(unnamed)) {
                Optional<IdentityRecord> rec = p.identity();
                if (rec.isPresent() && rec.get().displayName().isPresent()) {
                    unnamed.remove(p);
                    listener.onNamed(p, Contact.of(rec.get()));
                }
            }
            for (Map.Entry<PeerId, ChatHistory> e : histories.entrySet()) {
                if (!e.getValue().unacknowledged().isEmpty()) {
                    flush(e.getKey(), true);
                }
            }
            redial();
        } catch (RuntimeException e) {
            log.warn("chat maintenance failed", e);
        }
    }

    /** Dials wanted identities that are not connected, with exponential backoff (1 s .. 60 s). */
    private void redial() {
        Node n = node;
        if (n == null) {
            return;
        }
        long now = System.nanoTime();
        for (PeerId id : new ArrayList<>(wanted)) {
            if (peerOf(id).isPresent() || dialing.contains(id)) {
                redialFailures.remove(id);
                continue;
            }
            Long after = redialAfterNanos.get(id);
            if (after != null && now < after) {
                continue;
            }
            Optional<IdentityRecord> rec = n.ledger().identity(id);
            if (rec.isEmpty() || rec.get().revoked() || rec.get().addresses().isEmpty()) {
                continue;
            }
            dialing.add(id);
            n.connect(id)
                    .whenComplete(
                            (p, e) ->
                                    submit(
                                            () -> {
                                                dialing.remove(id);
                                                if (e == null) {
                                                    redialFailures.remove(id);
                                                    redialAfterNanos.remove(id);
                                                    return;
                                                }
                                                int failures =
                                                        redialFailures.merge(id, 1, Integer::sum);
                                                long delay =
                                                        Math.min(
                                                                60,
                                                                1L << Math.min(6, failures - 1));
                                                redialAfterNanos.put(
                                                        id,
                                                        System.nanoTime()
                                                                + TimeUnit.SECONDS.toNanos(delay));
                                            },
                                            "a dial result"));
        }
    }

    private ChatHistory conversation(PeerId peer) throws IOException {
        ChatHistory h = histories.get(peer);
        if (h == null) {
            h = ChatHistory.open(historyDir, key, self.peerId(), peer);
            histories.put(peer, h);
        }
        return h;
    }

    private void openExisting() {
        if (!Files.isDirectory(historyDir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(historyDir, "*.log")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String hex = name.substring(0, name.length() - ".log".length());
                if (!hex.matches("[0-9a-f]{64}")) {
                    continue;
                }
                try {
                    PeerId peer = PeerId.fromHex(hex);
                    conversation(peer);
                    wanted.add(peer); // reconnect to the people we talk with
                } catch (IOException e) {
                    listener.onProblem("cannot read the history " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            listener.onProblem("cannot list " + historyDir + ": " + e.getMessage());
        }
    }

    /** Runs on the chat thread and reports the result; fails if the queue is full or closed. */
    private <T> CompletableFuture<T> call(Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        boolean accepted =
                submit(
                        () -> {
                            try {
                                f.complete(task.call());
                            } catch (Exception e) {
                                f.completeExceptionally(e);
                            }
                        },
                        null);
        if (!accepted) {
            f.completeExceptionally(
                    new IllegalStateException("the chat service is busy or closed"));
        }
        return f;
    }

    /** A task that may throw; failures are logged (and reported) on the chat thread. */
    @FunctionalInterface
    private interface Task {
        void run() throws Exception;
    }

    private boolean submit(Task task, String what) {
        if (closed || queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            if (what != null) {
                log.warn("chat queue full or closed: dropped {}", what);
            }
            return false;
        }
        try {
            thread.execute(
                    () -> {
                        queued.decrementAndGet();
                        try {
                            task.run();
                        } catch (Exception e) {
                            log.warn("chat task failed", e);
                            if (what != null) {
                                listener.onProblem(
                                        "failed to handle " + what + ": " + e.getMessage());
                            }
                        }
                    });
            return true;
        } catch (RuntimeException e) {
            queued.decrementAndGet();
            return false;
        }
    }

    /** Stops the timers and closes the histories (waits up to 5 s for queued work). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        CompletableFuture<Void> done =
                call(
                        () -> {
                            for (ChatHistory h : histories.values()) {
                                try {
                                    h.close();
                                } catch (IOException e) {
                                    log.debug("closing a history: {}", e.toString());
                                }
                            }
                            histories.clear();
                            return null;
                        });
        closed = true;
        ScheduledFuture<?> m = maintenance;
        if (m != null) {
            m.cancel(false);
        }
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("closing the chat: {}", e.toString());
        }
        thread.shutdown();
    }
}
