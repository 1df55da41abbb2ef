package io.p2pchat.example.web;

import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.command.CommandExecutor;
import io.p2pchat.example.command.HistoryRows;
import io.p2pchat.example.command.IdentityCommands;
import io.p2pchat.example.event.Event;
import io.p2pchat.example.event.EventListener;
import io.p2pchat.example.event.LedgerEvents;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ContactRecord;
import io.p2pchat.proto.HistoryEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a page needs when it opens or has missed events, kept in memory so that {@link #snapshot}
 * never waits: the conversations (the stored history, loaded once at start, then the {@code
 * message}, {@code sent} and {@code delivered} events), the handshake steps, the latest blocks and
 * the registration's progress. The rest (identity, ledger, peers) is read from the node, which
 * holds it in memory.
 *
 * <p>Threading: {@link #onEvent} runs on its bus subscription's thread, {@link #load} on the
 * backend's command thread, {@link #snapshot} on the web event loop; all share the state under
 * {@code this}'s lock, held only to copy or update maps (never while waiting for the node).
 */
final class UiState implements EventListener {
    /** Messages per conversation kept for the page (the console's /history reads them all). */
    static final int MAX_MESSAGES = 200;

    static final int MAX_CONVERSATIONS = 200;
    static final int MAX_STEPS = 40;
    static final int MAX_BLOCKS = 10;

    private final ChatNode chatNode;
    private final Map<String, Conversation> conversations = new LinkedHashMap<>(); // by id hex
    private final Map<String, Deque<Map<String, Object>>> handshakes = new LinkedHashMap<>();
    private final Deque<Map<String, Object>> blocks = new ArrayDeque<>();
    private Map<String, Object> progress; // guarded by this; null when none
    private boolean ready; // guarded by this
    private volatile boolean identityActions; // /identity runs on this node's pages

    UiState(ChatNode chatNode) {
        this.chatNode = chatNode;
    }

    /** One conversation, as the page shows it. */
    private static final class Conversation {
        final String id;
        String name;
        int unread;
        boolean verified;
        boolean held; // its key changed after the person verified it: sending is held
        long keyChangedAtMs;
        final LinkedHashMap<String, Map<String, Object>> messages = new LinkedHashMap<>();

        Conversation(String id, String name) {
            this.id = id;
            this.name = name;
        }

        /** Adds a message, or moves a known one's state forward; true if it is new. */
        boolean add(Map<String, Object> m) {
            Map<String, Object> known = messages.get((String) m.get("message_id"));
            if (known != null) {
                if (rank(m.get("state")) > rank(known.get("state"))) {
                    known.put("state", m.get("state"));
                }
                return false;
            }
            messages.put((String) m.get("message_id"), m);
            while (messages.size() > MAX_MESSAGES) {
                messages.remove(messages.keySet().iterator().next());
            }
            return true;
        }

        static int rank(Object state) {
            return switch (String.valueOf(state)) {
                case "sent" -> 1;
                case "delivered", "received" -> 2;
                default -> 0;
            };
        }
    }

    /**
     * Loads the stored conversations (the last {@link #MAX_MESSAGES} messages of each contact) and
     * the latest blocks. Waits for the chat and ledger threads: call it off the web event loop.
     */
    void load(ContactStore contacts) throws Exception {
        List<ContactRecord> all = contacts.all();
        for (ContactRecord r : all.subList(0, Math.min(all.size(), MAX_CONVERSATIONS))) {
            PeerId id = ContactStore.idOf(r);
            String name = r.getName().isEmpty() ? id.shortId() : r.getName();
            List<HistoryEntry> h = chatNode.chat().history(id).get(10, TimeUnit.SECONDS);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (HistoryEntry e : h.subList(Math.max(0, h.size() - MAX_MESSAGES), h.size())) {
                Optional<HistoryRows> row = HistoryRows.of(e);
                if (row.isEmpty()) {
                    continue;
                }
                boolean delivered =
                        row.get().sent()
                                && chatNode.chat()
                                        .isAcknowledged(id, row.get().message().getMessageId())
                                        .get(10, TimeUnit.SECONDS);
                rows.add(
                        message(
                                row.get().sent() ? "out" : "in",
                                row.get().message().getText(),
                                row.get().messageId(),
                                row.get().storedAtMs(),
                                row.get().sent()
                                        ? (delivered ? "delivered" : "sent")
                                        : "received"));
            }
            boolean verified = !r.getVerifiedKeyId().isEmpty();
            boolean sameKey = r.getVerifiedKeyId().equals(r.getKeyId());
            synchronized (this) {
                Conversation c = conversation(id.toHex(), name);
                c.verified = verified && sameKey;
                c.held = verified && !sameKey;
                c.keyChangedAtMs = r.getKeyChangedAtMs();
                // Events that arrived while loading stay after the stored messages.
                List<Map<String, Object>> live = new ArrayList<>(c.messages.values());
                c.messages.clear();
                rows.forEach(c::add);
                live.forEach(c::add);
            }
        }
        Ledger ledger = chatNode.ledger();
        long tip = ledger.tip().height();
        for (long height = Math.max(0, tip - MAX_BLOCKS + 1); height <= tip; height++) {
            var header = ledger.headerAt(height);
            if (header.isPresent()) {
                block(LedgerEvents.fields(ledger, header.get()).get(10, TimeUnit.SECONDS));
            }
        }
    }

    private static Map<String, Object> message(
            String direction, String text, String id, long atMs, String state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("direction", direction);
        m.put("text", text);
        m.put("message_id", id);
        m.put("at_ms", atMs);
        m.put("state", state);
        return m;
    }

    private Conversation conversation(String id, String name) {
        Conversation c = conversations.get(id);
        if (c == null) {
            if (conversations.size() >= MAX_CONVERSATIONS) {
                conversations.remove(conversations.keySet().iterator().next());
            }
            c = new Conversation(id, name);
            conversations.put(id, c);
        } else if (name != null) {
            c.name = name;
        }
        return c;
    }

    @Override
    public synchronized void onEvent(Event e) {
        Map<String, Object> f = e.fields();
        switch (e.kind()) {
            case "message" -> {
                Conversation c = conversation((String) f.get("from_id"), (String) f.get("from"));
                boolean added =
                        c.add(
                                message(
                                        "in",
                                        (String) f.get("text"),
                                        (String) f.get("message_id"),
                                        f.get("sent_at_ms") instanceof Number n
                                                ? n.longValue()
                                                : System.currentTimeMillis(),
                                        "received"));
                if (added) {
                    c.unread++;
                }
            }
            case "sent" ->
                    conversation((String) f.get("to_id"), (String) f.get("to"))
                            .add(
                                    message(
                                            "out",
                                            (String) f.get("text"),
                                            (String) f.get("message_id"),
                                            System.currentTimeMillis(),
                                            Boolean.TRUE.equals(f.get("queued"))
                                                    ? "queued"
                                                    : "sent"));
            case "delivered" -> {
                Conversation c = conversations.get((String) f.get("to_id"));
                Map<String, Object> m =
                        c == null ? null : c.messages.get((String) f.get("message_id"));
                if (m != null) {
                    m.put("state", "delivered");
                }
            }
            case "handshake" -> {
                String peer = String.valueOf(f.get("key_id"));
                Deque<Map<String, Object>> steps =
                        handshakes.computeIfAbsent(peer, k -> new ArrayDeque<>());
                if ("tcp".equals(f.get("step"))) {
                    steps.clear();
                }
                steps.addLast(new LinkedHashMap<>(f));
                while (steps.size() > MAX_STEPS) {
                    steps.removeFirst();
                }
                while (handshakes.size() > MAX_CONVERSATIONS) {
                    handshakes.remove(handshakes.keySet().iterator().next());
                }
            }
            case "key_changed" -> {
                if (f.get("identity_id") instanceof String id) {
                    Conversation c = conversation(id, (String) f.get("peer"));
                    c.held = Boolean.TRUE.equals(f.get("held"));
                    c.verified = false;
                    c.keyChangedAtMs =
                            f.get("changed_at_ms") instanceof Number n
                                    ? n.longValue()
                                    : System.currentTimeMillis();
                }
            }
            case "verified", "accepted" -> {
                Conversation c =
                        f.get("identity_id") instanceof String id ? conversations.get(id) : null;
                if (c != null) {
                    c.held = false;
                    c.verified = e.kind().equals("verified");
                }
            }
            case "block" -> block(f);
            case "progress" -> {
                if (!ready) {
                    progress = new LinkedHashMap<>(f);
                }
            }
            case "ready" -> {
                ready = true;
                progress = null;
            }
            default -> {
                // the page renders the rest live; a snapshot reads the node instead
            }
        }
    }

    private synchronized void block(Map<String, Object> f) {
        blocks.removeIf(b -> b.get("hash").equals(f.get("hash")));
        blocks.addFirst(new LinkedHashMap<>(f));
        while (blocks.size() > MAX_BLOCKS) {
            blocks.removeLast();
        }
    }

    /**
     * Marks the conversation with {@code identityIdHex} read (a page showed it); true if it had
     * unread messages. Kept in memory only: after a restart the stored history counts as read.
     */
    synchronized boolean read(String identityIdHex) {
        Conversation c = conversations.get(identityIdHex);
        if (c == null || c.unread == 0) {
            return false;
        }
        c.unread = 0;
        return true;
    }

    /** Whether the page may offer the identity actions (the node enabled {@code /identity}). */
    void identityActions(boolean enabled) {
        identityActions = enabled;
    }

    /** The {@code snapshot} event (docs/web-ui.md lists its fields); never waits. */
    UiEvent snapshot() {
        Ledger ledger = chatNode.ledger();
        ChainTip tip = ledger.tip();
        var rec = ledger.identity(chatNode.identityId()).orElse(null);
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("name", rec == null ? chatNode.name() : rec.displayName().orElse(null));
        identity.put("id", chatNode.identityId().toHex());
        identity.put("key_id", chatNode.identity().peerId().toHex());
        identity.put("key_bits", chatNode.identity().keyBits());
        identity.put("state", IdentityCommands.state(ledger, rec));
        identity.put("actions", identityActions);
        Map<String, Object> network = new LinkedHashMap<>();
        network.put("name", ledger.parameters().name());
        network.put("id", ledger.parameters().networkIdHex());
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("height", tip.height());
        l.put("tip", tip.hash().toHex());
        l.put("identities", ledger.identityCount());
        l.put("mining", ledger.miner().isRunning());
        List<Map<String, Object>> peers = new ArrayList<>();
        for (NodePeer p : chatNode.node().peers()) {
            peers.add(CommandExecutor.peerRow(p));
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("identity", identity);
        s.put("network", network);
        s.put("ledger", l);
        s.put("peers", peers);
        synchronized (this) {
            l.put("blocks", new ArrayList<>(blocks));
            List<Map<String, Object>> convs = new ArrayList<>();
            for (Conversation c : conversations.values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("peer", c.name);
                m.put("identity_id", c.id);
                m.put("unread", c.unread);
                m.put("verified", c.verified);
                m.put("held", c.held);
                m.put("key_changed_at_ms", c.keyChangedAtMs > 0 ? c.keyChangedAtMs : null);
                List<Map<String, Object>> msgs = new ArrayList<>();
                c.messages.values().forEach(x -> msgs.add(new LinkedHashMap<>(x)));
                m.put("messages", msgs);
                convs.add(m);
            }
            s.put("conversations", convs);
            List<Map<String, Object>> steps = new ArrayList<>();
            handshakes.values().forEach(steps::addAll);
            s.put("handshakes", steps);
            s.put("progress", progress == null ? null : new LinkedHashMap<>(progress));
        }
        return UiEvent.of("snapshot", s);
    }
}
