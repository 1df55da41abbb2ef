package io.p2pchat.example.event;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.channel.SecureSession;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.text.TerminalText;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.node.NodeListener;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Shows what the chat and the node report: messages, deliveries, connections, bans, revocations,
 * and, loudly, a name that now belongs to another identity or a contact's key that changed. Called
 * on the chat thread and on event loops; it only formats and prints. Every string from outside
 * (texts, names, addresses, reasons) is rendered with {@link TerminalText#escape} in the lines
 * people read, and given exactly in the JSON fields.
 */
public final class ChatEvents implements ChatService.Listener, NodeListener {
    private final EventSink out;
    private volatile Consumer<Contact> onIncoming = c -> {};
    private volatile SessionEvents sessions;

    /** Events published to {@code out}. */
    public ChatEvents(EventSink out) {
        this.out = out;
    }

    /** From now on, also the steps of each channel ({@code handshake} events, for the page). */
    public void sessionDetails(SessionEvents details) {
        this.sessions = details;
    }

    /** Called with the sender of each new message (the console makes it the current chat). */
    public void onIncoming(Consumer<Contact> callback) {
        this.onIncoming = callback;
    }

    @Override
    public void onReceived(Contact from, ChatMessage m) {
        out.event(
                "message",
                "<" + escape(from.name()) + "> " + escape(m.getText()),
                "from",
                from.name(),
                "from_id",
                from.id().toHex(),
                "text",
                m.getText(),
                "message_id",
                HexFormat.of().formatHex(m.getMessageId().toByteArray()),
                "sent_at_ms",
                m.getSentAtMs());
        onIncoming.accept(from);
    }

    @Override
    public void onDelivered(Contact to, ChatMessage m) {
        out.event(
                "delivered",
                "delivered to " + escape(to.name()) + ": " + abbreviate(m.getText()),
                "to",
                to.name(),
                "to_id",
                to.id().toHex(),
                "message_id",
                HexFormat.of().formatHex(m.getMessageId().toByteArray()));
    }

    /**
     * How {@code s}'s peer proved its identity: {@code resumption-ticket} (a resumed handshake, no
     * signature), {@code ed25519-credential} (a delegated credential) or {@code rsa-pss} (the
     * identity key itself).
     */
    public static String signature(SecureSession s) {
        return s.resumed()
                ? "resumption-ticket"
                : s.delegatedCredentials() ? "ed25519-credential" : "rsa-pss";
    }

    @Override
    public void onConnected(NodePeer peer, Optional<Contact> contact) {
        SecureSession s = peer.session();
        String who = contact.map(Contact::name).orElse(peer.keyId().shortId());
        String remote = address(peer.remoteAddress());
        boolean inbound = !peer.localRole().name().equals("INITIATOR");
        // A peer that dialled us is at an ephemeral port: what people need is where it listens,
        // which its hello announced (a claim until its identity is confirmed on the ledger).
        String listen = listenAddress(peer);
        String whoText = escape(who);
        boolean full = peer.access() == PeerAccess.FULL && contact.isPresent();
        String chat =
                contact.isPresent()
                        ? "chat starts once "
                                + whoText
                                + "'s registration is confirmed on your ledger"
                        : "chat starts once this key is a confirmed identity on your ledger";
        String text;
        if (!inbound) {
            String where = escape(remote);
            text =
                    full
                            ? "connected to "
                                    + whoText
                                    + " ("
                                    + where
                                    + ", "
                                    + s.cipherSuite()
                                    + (s.resumed() ? ", resumed" : "")
                                    + ")"
                            : contact.isPresent()
                                    ? "connected to "
                                            + whoText
                                            + " ("
                                            + where
                                            + "): syncing the ledger; "
                                            + chat
                                    : "connected to "
                                            + where
                                            + " (key "
                                            + whoText
                                            + "): syncing the ledger; "
                                            + chat;
        } else {
            String where =
                    listen == null
                            ? "it announced no listen address"
                            : (full ? "listening at " : "it says it listens at ") + escape(listen);
            text =
                    full
                            ? whoText
                                    + " connected to you ("
                                    + where
                                    + ", "
                                    + s.cipherSuite()
                                    + (s.resumed() ? ", resumed" : "")
                                    + ")"
                            : (contact.isPresent() ? whoText : "the key " + whoText)
                                    + " connected to you ("
                                    + where
                                    + "): it syncs the ledger from you; "
                                    + chat;
        }
        out.event(
                "connected",
                text,
                "peer",
                who,
                "key_id",
                peer.keyId().toHex(),
                "identity_id",
                contact.map(c -> c.id().toHex()).orElse(null),
                "access",
                peer.access().name(),
                "address",
                remote,
                "listen_address",
                listen,
                "direction",
                inbound ? "inbound" : "outbound",
                "suite",
                s.cipherSuite().name(),
                "signature",
                signature(s),
                "session_fingerprint",
                s.sessionFingerprint());
        SessionEvents details = sessions;
        if (details != null) {
            details.connected(peer, who);
        }
    }

    /**
     * Where {@code peer} accepts connections: the address we dialled, or for a peer that dialled
     * us, the listen address its hello announced; null if it announced none.
     */
    public static String listenAddress(NodePeer peer) {
        if (peer.localRole().name().equals("INITIATOR")) {
            return address(peer.remoteAddress());
        }
        return peer.session().peerListenAddress().orElse(null);
    }

    @Override
    public void onConfirmed(NodePeer peer, Contact contact) {
        out.event(
                "confirmed",
                escape(contact.name())
                        + " is now a confirmed identity on your ledger: you can chat",
                "peer",
                contact.name(),
                "identity_id",
                contact.id().toHex());
        SessionEvents details = sessions;
        if (details != null) {
            details.confirmed(peer, contact.name());
        }
    }

    @Override
    public void onNamed(NodePeer peer, Contact contact) {
        out.event(
                "named",
                peer.keyId().shortId() + " is '" + escape(contact.name()) + "' on the ledger",
                "peer",
                contact.name(),
                "identity_id",
                contact.id().toHex());
    }

    @Override
    public void onDisconnected(NodePeer peer, Optional<Contact> contact) {
        String who = contact.map(Contact::name).orElse(peer.keyId().shortId());
        out.event(
                "disconnected",
                "disconnected from " + escape(who),
                "peer",
                who,
                "key_id",
                peer.keyId().toHex());
    }

    @Override
    public void onNameChanged(ChatService.NameChange c) {
        String name = escape(c.name());
        List<String> lines = new ArrayList<>();
        lines.add("NAME CHANGED: on your ledger, '" + name + "' is now ANOTHER identity.");
        lines.add("  the " + name + " you knew:  identity " + c.formerId().fingerprint());
        lines.add("  '" + name + "' now:  identity " + c.newId().fingerprint());
        lines.add(
                "Someone with more hash power than the honest nodes can rewrite the ledger and give"
                        + " a name to another identity; a registration undone by a reorganization"
                        + " frees it too.");
        switch (c.seen()) {
            case ON_SEND -> lines.add("NOTHING WAS SENT to '" + name + "'.");
            case ON_INCOMING ->
                    lines.add(
                            "The next message is from the NEW identity, shown as '"
                                    + name
                                    + " [new identity "
                                    + c.newId().shortId()
                                    + "]', not from the "
                                    + name
                                    + " you knew.");
            case ON_LEDGER -> lines.add("Nothing is sent to '" + name + "' until you decide.");
        }
        lines.add(
                "To talk to the new '"
                        + name
                        + "' (a new conversation, with its own fingerprint): /accept "
                        + name);
        lines.add(
                "To reach the one you knew: /msg "
                        + c.formerId().toHex()
                        + " <text> (its conversation stays as it was)");
        out.event(
                "name_changed",
                loud(lines),
                "name",
                c.name(),
                "former_identity_id",
                c.formerId().toHex(),
                "identity_id",
                c.newId().toHex(),
                "seen",
                c.seen().name().toLowerCase(Locale.ROOT),
                "sent",
                false);
    }

    @Override
    public void onKeyChanged(ChatService.KeyChange c) {
        String who = escape(c.contact().name());
        List<String> lines = new ArrayList<>();
        lines.add("KEY CHANGED: " + who + "'s key is not the one you knew.");
        lines.add("  before: key " + c.previousKeyId().fingerprint());
        lines.add("  now:    key " + c.newKeyId().fingerprint());
        lines.add(
                c.continuity()
                        ? "Your ledger records a rotation signed by the old key: "
                                + who
                                + " rotated it, or someone who stole the old key did."
                        : "Your ledger's history of "
                                + who
                                + " does not hold the key you knew: the ledger was rewritten.");
        lines.add(
                "Your conversation fingerprint with "
                        + who
                        + " is a new number: compare /fingerprint "
                        + who
                        + " with "
                        + who
                        + " over another channel.");
        lines.add(
                c.held()
                        ? "You had verified "
                                + who
                                + ": NOTHING MORE IS SENT to "
                                + who
                                + " until you compare and /verify "
                                + who
                                + " (or /accept "
                                + who
                                + " to send without verifying)."
                        : "Messages to " + who + " go on.");
        out.event(
                "key_changed",
                loud(lines),
                "peer",
                c.contact().name(),
                "identity_id",
                c.contact().id().toHex(),
                "previous_key_id",
                c.previousKeyId().toHex(),
                "key_id",
                c.newKeyId().toHex(),
                "changed_at_ms",
                c.changedAtMs(),
                "rotation",
                c.continuity(),
                "held",
                c.held());
    }

    /** A notice nobody can overlook: framed, every line marked. */
    static String loud(List<String> lines) {
        String bar = "!".repeat(72);
        StringBuilder sb = new StringBuilder(bar);
        for (String l : lines) {
            sb.append("\n!! ").append(l);
        }
        return sb.append('\n').append(bar).toString();
    }

    @Override
    public void onProblem(String text) {
        out.error(text);
    }

    @Override
    public void onPeerBanned(PeerId peer, String host, String reason) {
        out.event(
                "banned",
                "banned the key of peer "
                        + (peer == null ? "?" : peer.shortId())
                        + " (seen at "
                        + escape(host)
                        + ") for 10 minutes: "
                        + escape(reason),
                "key_id",
                peer == null ? null : peer.toHex(),
                "host",
                host,
                "reason",
                reason);
    }

    @Override
    public void onSessionRevoked(PeerId keyId) {
        out.event(
                "revoked",
                "closed the session of "
                        + keyId.shortId()
                        + ": its key was revoked on the ledger (or a reorganization dropped it)",
                "key_id",
                keyId.toHex());
    }

    @Override
    public void onSessionRotatedAway(PeerId keyId, PeerId newKeyId) {
        out.event(
                "revoked",
                "peer "
                        + keyId.shortId()
                        + " rotated its key to "
                        + newKeyId.shortId()
                        + " on the ledger; the old key's session closes once the new one connects",
                "key_id",
                keyId.toHex(),
                "new_key_id",
                newKeyId.toHex());
    }

    /** {@code a} as HOST:PORT, or "?". */
    public static String address(Optional<SocketAddress> a) {
        if (a.isPresent() && a.get() instanceof InetSocketAddress) {
            InetSocketAddress i = (InetSocketAddress) a.get();
            return i.getHostString() + ":" + i.getPort();
        }
        return "?";
    }

    /** The start of {@code text} on one line, rendered: cut at a character, not inside one. */
    static String abbreviate(String text) {
        String oneLine = text.replace('\n', ' ');
        if (oneLine.codePointCount(0, oneLine.length()) > 40) {
            oneLine = oneLine.substring(0, oneLine.offsetByCodePoints(0, 37)) + "...";
        }
        return escape(oneLine);
    }
}
