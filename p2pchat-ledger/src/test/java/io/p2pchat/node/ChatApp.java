package io.p2pchat.node;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatAck;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.NodeMessage;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal chat for the fault suites, on a {@link Node}'s application hook, with the delivery
 * semantics of chat.proto: the sender keeps a message until acknowledged and resends it on every
 * new connection (and periodically, {@link #resendUnacked}); the receiver stores each message id
 * once and acknowledges after storing. Each (re)send carries a fresh {@code sent_at_ms}, so the
 * same (id, sent_at_ms) arriving twice can only be a duplicate made by the transport.
 *
 * <p>It records what the checker needs (ATTACKS B6 property 3): what was sent and acknowledged,
 * what was stored, and every violation seen on arrival (altered text, a transport duplicate).
 * Thread-safe: called on event loops and from the test thread. Its state survives node restarts
 * (the cluster keeps it, as a real client keeps its history file).
 */
final class ChatApp implements NodeApplicationHandler {
    /** A message this node sent. */
    record Sent(PeerId to, String text) {}

    /** A message this node stored. */
    record Stored(PeerId from, String text) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    final String name;
    volatile Node node;
    final Map<ByteString, Sent> sent = new ConcurrentHashMap<>();
    final Set<ByteString> acked = ConcurrentHashMap.newKeySet();
    final Map<ByteString, Stored> stored = new ConcurrentHashMap<>();
    final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicLong arrivals = new AtomicLong();
    final AtomicLong resentCopies = new AtomicLong();
    private final Map<PeerId, Map<ByteString, String>> outbox = new ConcurrentHashMap<>();
    private final Set<String> seenSends = ConcurrentHashMap.newKeySet();
    private final AtomicLong lastSentAt = new AtomicLong();
    private final Map<ByteString, Long> lastSend = new ConcurrentHashMap<>();

    /** A message unacknowledged this long is sent again on the current connection. */
    static final long RESEND_NANOS = 1_000_000_000L;

    ChatApp(String name) {
        this.name = name;
    }

    /** Queues a message to the node whose key is {@code to}, and sends it if connected. */
    ByteString send(PeerId to, String text) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        ByteString mid = ByteString.copyFrom(id);
        sent.put(mid, new Sent(to, text));
        synchronized (outbox) {
            outbox.computeIfAbsent(to, k -> new LinkedHashMap<>()).put(mid, text);
        }
        flush(to, true);
        return mid;
    }

    /** Messages not acknowledged yet. */
    int unacked() {
        int n = 0;
        synchronized (outbox) {
            for (Map<ByteString, String> m : outbox.values()) {
                n += m.size();
            }
        }
        return n;
    }

    /** Sends every unacknowledged message again on the current connections. */
    void resendUnacked() {
        List<PeerId> peers;
        synchronized (outbox) {
            peers = new ArrayList<>(outbox.keySet());
        }
        for (PeerId p : peers) {
            flush(p, false);
        }
    }

    private void flush(PeerId to, boolean all) {
        Node n = node;
        if (n == null) {
            return;
        }
        Optional<NodePeer> peer = n.peer(to);
        if (peer.isEmpty()) {
            return;
        }
        Map<ByteString, String> pending;
        synchronized (outbox) {
            Map<ByteString, String> m = outbox.get(to);
            if (m == null || m.isEmpty()) {
                return;
            }
            pending = new LinkedHashMap<>(m);
        }
        long now = System.nanoTime();
        for (Map.Entry<ByteString, String> e : pending.entrySet()) {
            Long last = lastSend.get(e.getKey());
            if (!all && last != null && now - last < RESEND_NANOS) {
                continue;
            }
            lastSend.put(e.getKey(), now);
            long at = lastSentAt.updateAndGet(x -> Math.max(x + 1, System.currentTimeMillis()));
            peer.get()
                    .send(
                            NodeMessage.newBuilder()
                                    .setChat(
                                            ChatMessage.newBuilder()
                                                    .setMessageId(e.getKey())
                                                    .setSentAtMs(at)
                                                    .setText(e.getValue()))
                                    .build());
        }
    }

    @Override
    public void onMessage(NodePeer peer, NodeMessage message) {
        switch (message.getBodyCase()) {
            case CHAT:
                onChat(peer, message.getChat());
                break;
            case CHAT_ACK:
                ByteString id = message.getChatAck().getMessageId();
                synchronized (outbox) {
                    Map<ByteString, String> m = outbox.get(peer.keyId());
                    if (m != null) {
                        m.remove(id);
                    }
                }
                lastSend.remove(id);
                if (sent.containsKey(id)) {
                    acked.add(id);
                } else {
                    violations.add(name + ": ack for a message never sent " + hex(id));
                }
                break;
            default:
                violations.add(name + ": unexpected body " + message.getBodyCase());
        }
    }

    private void onChat(NodePeer peer, ChatMessage m) {
        arrivals.incrementAndGet();
        ByteString id = m.getMessageId();
        if (!seenSends.add(hex(id) + "@" + m.getSentAtMs())) {
            violations.add(
                    name
                            + ": the same send of "
                            + hex(id)
                            + " arrived twice (transport duplicate)");
        }
        Stored s = new Stored(peer.keyId(), m.getText());
        Stored before = stored.putIfAbsent(id, s);
        if (before != null) {
            if (!before.equals(s)) {
                violations.add(name + ": message " + hex(id) + " altered: " + before + " vs " + s);
            }
            resentCopies.incrementAndGet();
        }
        // Acknowledge after storing (again for a resent copy: the first ack may have been lost).
        peer.send(
                NodeMessage.newBuilder().setChatAck(ChatAck.newBuilder().setMessageId(id)).build());
    }

    @Override
    public void onPeerConnected(NodePeer peer) {
        // A new session: everything unacknowledged goes again at once.
        flush(peer.keyId(), true);
    }

    static String hex(ByteString b) {
        return io.netty.buffer.ByteBufUtil.hexDump(b.toByteArray()).substring(0, 8);
    }

    @Override
    public String toString() {
        return "ChatApp["
                + name
                + ": sent "
                + sent.size()
                + ", acked "
                + acked.size()
                + ", stored "
                + stored.size()
                + "]";
    }
}
