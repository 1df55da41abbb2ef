package io.p2pchat.example.chat;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.node.Node;
import io.p2pchat.node.NodeApplicationHandler;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatAck;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.ContactRecord;
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
import org.jspecify.annotations.Nullable;
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
 * A conversation is keyed by the peer's identity id, so it survives reconnections, restarts and key
 * rotations; its fingerprint ({@link #conversationFingerprint}) is the same on both sides, and is
 * bound to both parties' current keys (docs/protocol.md §12.3), so a rotation gives a new number.
 *
 * <h3>Contacts: names and key changes</h3>
 *
 * The service remembers each identity the person talks with in a {@link ContactStore}: the name
 * they know it by, its key when last seen, and whether they verified it. It adds one when the
 * person sends to, receives from or {@link #keepConnected connects to} an identity (and, on the
 * first start of a home that has none, one per existing history). A ledger rewritten by someone
 * with more hash power can give a name to another identity (docs/trust-model.md); a contact's key
 * changes when it rotates (or when someone who stole it does). The service compares what it
 * remembers with the ledger whenever the ledger changes, when a contact connects or writes, and
 * before anything is sent to it, and says so through the {@link Listener}:
 *
 * <ul>
 *   <li>{@link Listener#onNameChanged}: a name the person knew for one identity now belongs to
 *       another. Conversations are keyed by identity id, so nothing goes to the new holder by
 *       itself; the user interface sends nothing to the name until the person accepts it ({@link
 *       #accept}), and the new holder's conversation is a new one with its own fingerprint. Until
 *       then the new holder is shown as {@code "bob [new identity 1a2b3c4d5e6f7a8b]"}.
 *   <li>{@link Listener#onKeyChanged}: a contact's current key differs from the one remembered,
 *       reported once per change and always before the next message to it goes out. If the person
 *       had {@link #verify verified} the contact, nothing more is sent to it (new messages fail
 *       with {@link HeldException}, queued ones wait) until they verify again or accept the change;
 *       otherwise sending goes on.
 * </ul>
 *
 * <h2>Threading</h2>
 *
 * Thread-safe. All state and all history I/O (fsync) live on one chat thread, never on a Netty
 * event loop; the {@link Listener} is called there. Work queued for it is bounded ({@value
 * #MAX_QUEUED} tasks): an incoming message that does not fit is dropped unacknowledged, and the
 * sender sends it again.
 *
 * <p>Size: over 600 lines for now, because its delivery, contact review and redial logic all work
 * on the maps confined to the chat thread (histories, wanted, reported, redial state); the value
 * types and the {@link Listener} are the other third. Next split: the nested types into files of
 * their own, the contact review ({@code reviewContacts}, {@code refresh}, {@code announce*}) and
 * the redial into classes confined to the same thread.
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

    /** How a name change came to light. */
    public enum Seen {
        /** The ledger changed: the name now resolves to another identity. */
        ON_LEDGER,
        /** The person addressed the name (a message, a connection): nothing was sent. */
        ON_SEND,
        /** A message came from the identity that now holds the name. */
        ON_INCOMING
    }

    /**
     * A name the person knew for one identity resolves to another one on the ledger.
     *
     * @param name the name
     * @param formerId the identity the person knew by that name
     * @param newId the identity the ledger gives the name to now
     * @param seen how it came to light
     */
    public record NameChange(String name, PeerId formerId, PeerId newId, Seen seen) {}

    /**
     * A contact's current key on the ledger is not the one remembered.
     *
     * @param contact the contact
     * @param previousKeyId the key remembered
     * @param newKeyId the key the ledger has now
     * @param changedAtMs when the change was seen
     * @param continuity whether the ledger's key history of the identity holds the previous key, so
     *     each rotation since was signed by the key before it (a rotation, not another history)
     * @param held whether the person had verified the contact, so sending to it is held until they
     *     confirm ({@link #verify} or {@link #accept})
     */
    public record KeyChange(
            Contact contact,
            PeerId previousKeyId,
            PeerId newKeyId,
            long changedAtMs,
            boolean continuity,
            boolean held) {}

    /**
     * What the service remembers about a contact.
     *
     * @param id the identity id
     * @param name the name the person knows it by ("" none)
     * @param formerName the name it had before the person gave it to another identity ("" none)
     * @param verified whether the person verified its current key
     * @param verifiedAtMs when the person last verified it (0 never), even if the key changed since
     * @param held whether its key changed after the person verified it: sending is held
     * @param previousKeyId the key before the last change
     * @param keyChangedAtMs when the last key change was seen (0 never)
     * @param addedAtMs when it became a contact
     */
    public record ContactState(
            PeerId id,
            String name,
            String formerName,
            boolean verified,
            long verifiedAtMs,
            boolean held,
            Optional<PeerId> previousKeyId,
            long keyChangedAtMs,
            long addedAtMs) {}

    /**
     * What {@link #accept} changed.
     *
     * @param formerId the identity that held the name before, if the name moved
     * @param released whether sending to the contact was held and now goes on
     * @param state the contact now
     */
    public record Accepted(Optional<PeerId> formerId, boolean released, ContactState state) {}

    /** Sending to a contact is held: its key changed after the person verified it. */
    public static final class HeldException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        HeldException(String message) {
            super(message);
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

        /**
         * A name the person knew for one identity now belongs to another on the ledger: say so
         * loudly, and send nothing to the name until the person accepts it. Reported once per
         * change when found on the ledger or in an incoming message, and each time the person
         * addresses the name ({@link #checkName}).
         */
        default void onNameChanged(NameChange change) {}

        /**
         * A contact's key changed: say so loudly. Reported once per change, when it is found (a
         * ledger change, a connection, a message) and at the latest before the next message to the
         * contact goes out.
         */
        default void onKeyChanged(KeyChange change) {}

        /** Something the user should know (a history that cannot be read, a dropped message). */
        default void onProblem(String text) {}
    }

    private final Path historyDir;
    private final HistoryKey key;
    private final ContactStore contacts;
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

    /** The ledger tip at the last review of the contacts. */
    private @Nullable BlockHash reviewedTip;

    private volatile Node node;
    private volatile ScheduledFuture<?> maintenance;
    private volatile boolean closed;

    /**
     * A chat service keeping its histories in {@code historyDir}, encrypted with {@code key}, and
     * its contacts in {@code contacts} (which it closes), as {@code self}.
     */
    public ChatService(
            Path historyDir,
            HistoryKey key,
            ContactStore contacts,
            LocalIdentity self,
            Listener listener,
            Clock clock) {
        this.historyDir = Objects.requireNonNull(historyDir, "historyDir");
        this.key = Objects.requireNonNull(key, "key");
        this.contacts = Objects.requireNonNull(contacts, "contacts");
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
                    Optional<IdentityRecord> rec = ledgerRecord(to.id());
                    if (rec.isPresent()) {
                        ContactRecord r = remember(rec.get());
                        if (held(r)) {
                            throw new HeldException(heldReason(r, contact(rec.get())));
                        }
                    }
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

    /**
     * The conversation fingerprint with {@code peer} (the same on both sides), bound to this node's
     * key and the peer's current key on the ledger (docs/protocol.md §12.3).
     */
    public CompletableFuture<String> conversationFingerprint(PeerId peer) {
        return call(() -> conversation(peer).fingerprint(selfKeyId(), currentKeyOf(peer)));
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

    /**
     * Keeps (re)dialing the identity while the service runs, as for a pending message; the identity
     * becomes a contact.
     */
    public void keepConnected(PeerId identityId) {
        call(
                () -> {
                    Optional<IdentityRecord> rec = ledgerRecord(identityId);
                    if (rec.isPresent()) {
                        remember(rec.get());
                    }
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

    // ------------------------------------------------------------------ contacts API (any thread)

    /**
     * How the person's interface should show an identity: the name they know it by; its ledger
     * name, marked {@code "[new identity SHORT-ID]"} when they know another identity by that name;
     * or its short id (with the name it had, if the person gave that name to another identity).
     */
    public Contact contact(IdentityRecord rec) {
        Optional<ContactRecord> r = contacts.get(rec.id());
        if (r.isPresent() && !r.get().getName().isEmpty()) {
            return new Contact(rec.id(), r.get().getName());
        }
        Optional<String> name = rec.displayName();
        if (name.isPresent()) {
            return new Contact(
                    rec.id(),
                    nameHeldByAnother(name.get(), rec.id())
                            ? name.get() + " [new identity " + rec.id().shortId() + "]"
                            : name.get());
        }
        if (r.isPresent() && !r.get().getFormerName().isEmpty()) {
            return new Contact(
                    rec.id(), rec.id().shortId() + " (formerly " + r.get().getFormerName() + ")");
        }
        return new Contact(rec.id(), rec.id().shortId());
    }

    /** Whether the identity's name on the ledger is one the person knows another identity by. */
    public boolean nameDisputed(PeerId identityId) {
        return ledgerRecord(identityId)
                .flatMap(IdentityRecord::displayName)
                .filter(n -> nameHeldByAnother(n, identityId))
                .isPresent();
    }

    /**
     * Checks a name the person addressed (a message, a connection) before anything is sent: if they
     * know another identity by {@code name} than the one the ledger gives it to now ({@code
     * resolved}), the listener hears {@link Listener#onNameChanged} ({@link Seen#ON_SEND}) and the
     * change is returned; the caller must then send nothing to the name.
     */
    public CompletableFuture<Optional<NameChange>> checkName(String name, IdentityRecord resolved) {
        return call(
                () -> {
                    Optional<ContactRecord> known = contacts.byName(name);
                    if (known.isEmpty() || ContactStore.idOf(known.get()).equals(resolved.id())) {
                        return Optional.empty();
                    }
                    NameChange change =
                            new NameChange(
                                    name,
                                    ContactStore.idOf(known.get()),
                                    resolved.id(),
                                    Seen.ON_SEND);
                    listener.onNameChanged(change);
                    return Optional.of(change);
                });
    }

    /**
     * The person confirms what changed for an identity: that {@code name} (if not null) now means
     * {@code rec} (the identity that held it keeps its conversation under its id, without the
     * name), and that sending to {@code rec} may go on after its key changed although they had
     * verified it (it is not verified any more).
     */
    public CompletableFuture<Accepted> accept(@Nullable String name, IdentityRecord rec) {
        return call(
                () -> {
                    ContactRecord y = remember(rec);
                    Optional<PeerId> former = Optional.empty();
                    Optional<ContactRecord> x =
                            name == null ? Optional.empty() : contacts.byName(name);
                    if (x.isPresent() && !ContactStore.idOf(x.get()).equals(rec.id())) {
                        former = Optional.of(ContactStore.idOf(x.get()));
                        ContactRecord xr =
                                x.get().toBuilder()
                                        .setName("")
                                        .setFormerName(name)
                                        .clearNameTakenBy()
                                        .build();
                        ContactRecord.Builder yb = y.toBuilder().setName(name).clearNameTakenBy();
                        if (!y.getName().isEmpty()) {
                            yb.setFormerName(y.getName());
                        }
                        y = yb.build();
                        contacts.putAll(List.of(xr, y));
                    }
                    boolean released = held(y);
                    if (released) {
                        y = y.toBuilder().clearVerifiedKeyId().build();
                        contacts.put(y);
                    }
                    flush(rec.id(), false);
                    return new Accepted(former, released, state(y));
                });
    }

    /**
     * Marks the identity's current key as verified by the person (they compared the fingerprints
     * out of band); sending to it goes on if it was held. Until its key changes again: then sending
     * is held until they confirm.
     */
    public CompletableFuture<ContactState> verify(IdentityRecord rec) {
        return call(
                () -> {
                    ContactRecord r =
                            remember(rec).toBuilder()
                                    .setVerifiedKeyId(ContactStore.bytes(rec.currentKeyId()))
                                    .setVerifiedAtMs(clock.millis())
                                    .build();
                    contacts.put(r);
                    flush(rec.id(), false);
                    return state(r);
                });
    }

    /** What the service remembers about an identity, if it is a contact. */
    public CompletableFuture<Optional<ContactState>> contactState(PeerId identityId) {
        return call(() -> contacts.get(identityId).map(ChatService::state));
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
                    Optional<Contact> contact = peer.identity().map(this::contact);
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
                    listener.onDisconnected(peer, peer.identity().map(this::contact));
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
        remember(rec.get());
        announceIncomingName(rec.get());
        Contact from = contact(rec.get());
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
        Contact to = contact(rec.get());
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
    private void flush(PeerId id, boolean resend) throws IOException {
        Optional<NodePeer> peer = peerOf(id);
        ChatHistory h = histories.get(id);
        if (h == null) {
            return;
        }
        List<ChatMessage> pending = h.unacknowledged();
        if (pending.isEmpty()) {
            return;
        }
        Optional<ContactRecord> known = contacts.get(id);
        Optional<IdentityRecord> rec = ledgerRecord(id);
        if (known.isPresent() && rec.isPresent() && held(refresh(known.get(), rec.get()))) {
            wanted.add(id);
            return; // the person confirms first
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
            reviewContacts(); // first: a name or key change is told before news of that peer
            for (Map.Entry<NodePeer, PeerAccess> e : new ArrayList<>(accessSeen.entrySet())) {
                PeerAccess now = e.getKey().access();
                if (now != e.getValue()) {
                    accessSeen.put(e.getKey(), now);
                    Optional<IdentityRecord> rec = e.getKey().identity();
                    if (now == PeerAccess.FULL && rec.isPresent()) {
                        if (rec.get().displayName().isPresent()) {
                            unnamed.remove(e.getKey()); // the confirmation already names it
                        }
                        listener.onConfirmed(e.getKey(), contact(rec.get()));
                    }
                }
            }
            for (NodePeer p : new ArrayList<>(unnamed)) {
                Optional<IdentityRecord> rec = p.identity();
                if (rec.isPresent() && rec.get().displayName().isPresent()) {
                    unnamed.remove(p);
                    listener.onNamed(p, contact(rec.get()));
                }
            }
            for (Map.Entry<PeerId, ChatHistory> e : new ArrayList<>(histories.entrySet())) {
                if (!e.getValue().unacknowledged().isEmpty()) {
                    flush(e.getKey(), true);
                }
            }
            redial();
        } catch (IOException e) {
            log.warn("chat maintenance failed: {}", e.toString());
            listener.onProblem("cannot write the contacts: " + e.getMessage());
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
        PeerId selfId = selfIdentityId();
        if (h != null && !h.self().equals(selfId)) {
            // Opened before this node's ledger knew that the key it holds rotated from its
            // identity's: the chains belong to the identity, so open it again as that.
            h.close();
            histories.remove(peer);
            h = null;
        }
        if (h == null) {
            h = ChatHistory.open(historyDir, key, selfId, peer);
            histories.put(peer, h);
        }
        return h;
    }

    /**
     * This node's identity id: the conversation's party, which stays when this node's key rotates
     * (the key it holds is then another).
     */
    private PeerId selfIdentityId() {
        Node n = node;
        return n == null
                ? self.peerId()
                : n.ledger()
                        .identityByKey(selfKeyId())
                        .or(() -> n.ledger().identityByKey(self.peerId()))
                        .map(IdentityRecord::id)
                        .orElse(self.peerId());
    }

    /** The key this node presents now: its node's, which changes when it rotates its key. */
    private PeerId selfKeyId() {
        Node n = node;
        return n == null ? self.peerId() : n.identity().peerId();
    }

    // ------------------------------------------------------------------ contacts (chat thread)

    private Optional<IdentityRecord> ledgerRecord(PeerId identityId) {
        Node n = node;
        return n == null ? Optional.empty() : n.ledger().identity(identityId);
    }

    /** The peer identity's current key: on the ledger, else as last seen, else its id. */
    private PeerId currentKeyOf(PeerId identityId) {
        return ledgerRecord(identityId)
                .map(IdentityRecord::currentKeyId)
                .or(() -> contacts.get(identityId).flatMap(r -> ContactStore.peerId(r.getKeyId())))
                .orElse(identityId);
    }

    private boolean nameHeldByAnother(String name, PeerId identityId) {
        return contacts.byName(name)
                .filter(r -> !ContactStore.idOf(r).equals(identityId))
                .isPresent();
    }

    /** Held: the person verified a key that is not the contact's key any more. */
    private static boolean held(ContactRecord r) {
        return !r.getVerifiedKeyId().isEmpty() && !r.getVerifiedKeyId().equals(r.getKeyId());
    }

    private static ContactState state(ContactRecord r) {
        return new ContactState(
                ContactStore.idOf(r),
                r.getName(),
                r.getFormerName(),
                !r.getVerifiedKeyId().isEmpty() && r.getVerifiedKeyId().equals(r.getKeyId()),
                r.getVerifiedAtMs(),
                held(r),
                ContactStore.peerId(r.getPreviousKeyId()),
                r.getKeyChangedAtMs(),
                r.getAddedAtMs());
    }

    private static String heldReason(ContactRecord r, Contact c) {
        return "not sent: "
                + c.name()
                + "'s key changed after you verified "
                + c.name()
                + ", so nothing goes to "
                + c.name()
                + " until you confirm: compare /fingerprint "
                + c.name()
                + " with them over another channel, then /verify "
                + c.name()
                + " (or /accept "
                + c.name()
                + " to send without verifying)";
    }

    /** The record of an identity the person talks with, added if new, brought up to date. */
    private ContactRecord remember(IdentityRecord rec) throws IOException {
        Optional<ContactRecord> known = contacts.get(rec.id());
        if (known.isPresent()) {
            return refresh(known.get(), rec);
        }
        long now = clock.millis();
        ContactRecord.Builder b =
                ContactRecord.newBuilder()
                        .setIdentityId(ContactStore.bytes(rec.id()))
                        .setKeyId(ContactStore.bytes(rec.currentKeyId()))
                        .setKeySeenAtMs(now)
                        .setAddedAtMs(now);
        rec.displayName().filter(n -> contacts.byName(n).isEmpty()).ifPresent(b::setName);
        ContactRecord r = b.build();
        contacts.put(r);
        return r;
    }

    /**
     * Fills in what the record did not know yet (a first name, a first key) and compares the key
     * with the ledger's: a change is recorded and reported ({@link Listener#onKeyChanged}).
     */
    private ContactRecord refresh(ContactRecord r, IdentityRecord rec) throws IOException {
        ContactRecord.Builder b = r.toBuilder();
        Optional<String> name = rec.displayName();
        if (r.getName().isEmpty() && name.isPresent() && contacts.byName(name.get()).isEmpty()) {
            b.setName(name.get());
        }
        Optional<PeerId> seen = ContactStore.peerId(r.getKeyId());
        PeerId now = rec.currentKeyId();
        KeyChange change = null;
        if (seen.isEmpty() || !seen.get().equals(now)) {
            long t = clock.millis();
            b.setKeyId(ContactStore.bytes(now)).setKeySeenAtMs(t);
            if (seen.isPresent()) {
                b.setPreviousKeyId(ContactStore.bytes(seen.get())).setKeyChangedAtMs(t);
                boolean continuity =
                        rec.keyHistory().stream().anyMatch(k -> k.keyId().equals(seen.get()));
                change =
                        new KeyChange(
                                contact(rec), seen.get(), now, t, continuity, held(b.build()));
            }
        }
        ContactRecord updated = b.build();
        if (!updated.equals(r)) {
            contacts.put(updated);
        }
        if (change != null) {
            listener.onKeyChanged(change);
        }
        return updated;
    }

    /** Compares every contact with the ledger, once per ledger tip. */
    private void reviewContacts() throws IOException {
        Node n = node;
        if (n == null) {
            return;
        }
        BlockHash tip = n.ledger().tip().hash();
        if (tip.equals(reviewedTip)) {
            return;
        }
        reviewedTip = tip;
        for (ContactRecord r : contacts.all()) {
            PeerId id = ContactStore.idOf(r);
            Optional<IdentityRecord> rec = n.ledger().identity(id);
            if (rec.isPresent()) {
                r = refresh(r, rec.get());
            }
            if (r.getName().isEmpty()) {
                continue;
            }
            Optional<IdentityRecord> holder = n.ledger().identityByName(r.getName());
            Optional<PeerId> announced = ContactStore.peerId(r.getNameTakenBy());
            if (holder.isPresent() && !holder.get().id().equals(id)) {
                if (!announced.equals(Optional.of(holder.get().id()))) {
                    announceName(r, holder.get().id(), Seen.ON_LEDGER);
                }
            } else if (announced.isPresent()) {
                contacts.put(r.toBuilder().clearNameTakenBy().build());
            }
        }
    }

    /**
     * A message came from {@code rec}: if the person knows another identity by its name, say so.
     */
    private void announceIncomingName(IdentityRecord rec) throws IOException {
        Optional<ContactRecord> known = rec.displayName().flatMap(contacts::byName);
        if (known.isPresent()
                && !ContactStore.idOf(known.get()).equals(rec.id())
                && !ContactStore.peerId(known.get().getNameTakenBy())
                        .equals(Optional.of(rec.id()))) {
            announceName(known.get(), rec.id(), Seen.ON_INCOMING);
        }
    }

    private void announceName(ContactRecord known, PeerId holder, Seen seen) throws IOException {
        contacts.put(known.toBuilder().setNameTakenBy(ContactStore.bytes(holder)).build());
        listener.onNameChanged(
                new NameChange(known.getName(), ContactStore.idOf(known), holder, seen));
    }

    /**
     * First start of a home without contacts: every existing conversation's peer becomes a contact,
     * as the ledger knows it now.
     */
    private void seedContacts(List<PeerId> peers) throws IOException {
        List<ContactRecord> seeded = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long now = clock.millis();
        for (PeerId peer : peers) {
            ContactRecord.Builder b =
                    ContactRecord.newBuilder()
                            .setIdentityId(ContactStore.bytes(peer))
                            .setAddedAtMs(now);
            Optional<IdentityRecord> rec = ledgerRecord(peer);
            if (rec.isPresent()) {
                b.setKeyId(ContactStore.bytes(rec.get().currentKeyId())).setKeySeenAtMs(now);
                rec.get().displayName().filter(names::add).ifPresent(b::setName);
            }
            seeded.add(b.build());
        }
        contacts.putAll(seeded);
    }

    private void openExisting() {
        List<PeerId> peers = new ArrayList<>();
        if (Files.isDirectory(historyDir)) {
            openHistories(peers);
        }
        if (!contacts.existed() && contacts.all().isEmpty()) {
            try {
                seedContacts(peers);
            } catch (IOException e) {
                listener.onProblem("cannot write the contacts: " + e.getMessage());
            }
        }
    }

    private void openHistories(List<PeerId> peers) {
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
                    peers.add(peer);
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
                            contacts.close();
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
