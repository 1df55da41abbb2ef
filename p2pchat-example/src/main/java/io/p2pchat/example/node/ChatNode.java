package io.p2pchat.example.node;

import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.chat.HistoryKey;
import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.node.Node;
import io.p2pchat.node.NodePeer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A running chat node: the ledger replica, the {@link Node} that replicates it and opens secure
 * channels, and the {@link ChatService} on top. The {@code node} command and the demo both run
 * these.
 *
 * <p>Thread-safe. {@link #close()} stops the chat, the node and the ledger, in that order.
 */
public final class ChatNode implements AutoCloseable {
    private final String name;
    private final PeerId identityId;
    private final Ledger ledger;
    private final Node node;
    private final ChatService chat;
    private final java.util.concurrent.atomic.AtomicBoolean closed =
            new java.util.concurrent.atomic.AtomicBoolean();

    private ChatNode(String name, PeerId identityId, Ledger ledger, Node node, ChatService c) {
        this.identityId = identityId;
        this.name = name;
        this.ledger = ledger;
        this.node = node;
        this.chat = c;
    }

    /**
     * Starts a node over an open ledger and contact store (which it then owns): binds {@code
     * host:port}, attaches the chat service. {@code identity} is the key the ledger has as current
     * for this node's identity (or a key not registered yet).
     *
     * @throws UserError when the address cannot be bound (the ledger is closed then)
     */
    public static ChatNode start(
            LocalIdentity identity,
            String name,
            Ledger ledger,
            String host,
            int port,
            Path historyDir,
            HistoryKey historyKey,
            ContactStore contacts,
            ChatService.Listener listener,
            Consumer<Node.Builder> customize) {
        // The identity id outlives key rotations: conversations and history are keyed by it.
        PeerId identityId = KeyFiles.identityId(ledger, identity);
        ChatService chat =
                new ChatService(
                        historyDir, historyKey, contacts, identity, listener, Clock.systemUTC());
        Node.Builder b = Node.builder(identity, ledger).listen(host, port).application(chat);
        customize.accept(b);
        Node node = b.build();
        try {
            node.start();
        } catch (IllegalStateException e) {
            chat.close();
            node.close();
            ledger.close();
            throw new UserError(Explain.bindFailure(host + ":" + port, e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            chat.close();
            node.close();
            ledger.close();
            throw new UserError("Interrupted while starting.", e);
        }
        chat.attach(node);
        return new ChatNode(name, identityId, ledger, node, chat);
    }

    /** The key this node presents now (it changes with a key rotation). */
    public LocalIdentity identity() {
        return node.identity();
    }

    /**
     * This node's identity id on the ledger: the id of its first key (of the key it started with
     * when that one is not registered yet).
     */
    public PeerId identityId() {
        return identityId;
    }

    /** This node's name (as chosen at init; the ledger may not have it yet). */
    public String name() {
        return name;
    }

    /** The ledger replica. */
    public Ledger ledger() {
        return ledger;
    }

    /** The node. */
    public Node node() {
        return node;
    }

    /** The chat. */
    public ChatService chat() {
        return chat;
    }

    /** The address the node listens on. */
    public InetSocketAddress address() {
        return node.localAddress();
    }

    /**
     * Finds an identity on the ledger by display name, full peer id (64 hex digits, identity or key
     * id), or a prefix of at least 8 hex digits of a connected peer's id.
     */
    public Optional<IdentityRecord> resolve(String nameOrId) {
        String s = nameOrId.trim();
        if (s.startsWith("@")) {
            s = s.substring(1);
        }
        String lower = s.toLowerCase(Locale.ROOT);
        String hex = lower.replace(" ", "");
        if (hex.matches("[0-9a-f]{64}")) {
            PeerId id = PeerId.fromHex(hex);
            Optional<IdentityRecord> r = ledger.identity(id);
            return r.isPresent() ? r : ledger.identityByKey(id);
        }
        Optional<IdentityRecord> byName = ledger.identityByName(lower);
        if (byName.isPresent() || !hex.matches("[0-9a-f]{8,63}")) {
            return byName;
        }
        List<IdentityRecord> matches = new ArrayList<>();
        for (NodePeer p : node.peers()) {
            p.identity()
                    .filter(r -> r.id().toHex().startsWith(hex))
                    .ifPresent(
                            r -> {
                                if (matches.stream().noneMatch(m -> m.id().equals(r.id()))) {
                                    matches.add(r);
                                }
                            });
        }
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }

    /** Confirmations of the block that installed the identity's current key (0: not on chain). */
    public long confirmations(IdentityRecord record) {
        return ledger.confirmations(record.currentKeyRecord().block());
    }

    /** Whether the identity is confirmed (k blocks) and not revoked: chat is possible. */
    public boolean isConfirmed(IdentityRecord record) {
        return !record.revoked() && confirmations(record) >= ledger.parameters().confirmations();
    }

    /** A short label: the display name, else the short id. */
    public static String label(@Nullable IdentityRecord record, PeerId keyId) {
        if (record == null) {
            return keyId.shortId();
        }
        return record.displayName().orElse(record.id().shortId());
    }

    /** Stops the chat, the node and the ledger (once: later calls do nothing). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        chat.close();
        node.close();
        ledger.close();
    }

    @Override
    public String toString() {
        return "ChatNode[" + name + " " + Objects.toString(node) + "]";
    }
}
