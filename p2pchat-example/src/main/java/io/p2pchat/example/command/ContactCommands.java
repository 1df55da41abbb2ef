package io.p2pchat.example.command;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.text.Certificates;
import io.p2pchat.example.text.Identities;
import io.p2pchat.example.text.Words;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The commands about one contact: {@code /fingerprint}, {@code /history}, {@code /whois}, {@code
 * /verify} and {@code /accept}. Each publishes one event with its answer: lines for people, fields
 * for programs. Run on the thread that runs commands.
 */
final class ContactCommands {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private final ChatNode chatNode;
    private final EventSink out;
    private final Targets t;
    private final Supplier<@Nullable Contact> current;

    ContactCommands(
            ChatNode chatNode, EventSink out, Targets t, Supplier<@Nullable Contact> current) {
        this.chatNode = chatNode;
        this.out = out;
        this.t = t;
        this.current = current;
    }

    void fingerprint(String target) throws CommandError, InterruptedException {
        IdentityRecord rec = t.lookup(target);
        String conversation = Targets.await(chatNode.chat().conversationFingerprint(rec.id()));
        List<HistoryEntry> h = Targets.await(chatNode.chat().history(rec.id()));
        Optional<NodePeer> peer = chatNode.chat().peerOf(rec.id());
        String session = peer.map(p -> p.session().sessionFingerprint()).orElse(null);
        Optional<ChatService.ContactState> contact =
                Targets.await(chatNode.chat().contactState(rec.id()));
        StringBuilder sb = new StringBuilder();
        sb.append(t.shown(rec)).append('\n');
        sb.append("  identity fingerprint:     ").append(rec.id().fingerprint()).append('\n');
        if (!rec.currentKeyId().equals(rec.id())) {
            sb.append("  current key:              ")
                    .append(rec.currentKeyId().fingerprint())
                    .append('\n');
        }
        sb.append("  session fingerprint:      ")
                .append(session == null ? "(not connected)" : session)
                .append('\n');
        sb.append("  conversation fingerprint: ")
                .append(conversation)
                .append(" (")
                .append(Words.count(h.size(), "message"))
                .append(")\n");
        sb.append("  your identity:            ")
                .append(chatNode.identityId().fingerprint())
                .append('\n');
        sb.append("  verified:                 ").append(verifiedState(rec, contact)).append('\n');
        contact.filter(c -> c.keyChangedAtMs() > c.verifiedAtMs())
                .ifPresent(
                        c ->
                                sb.append("  NEW NUMBER since ")
                                        .append(t.shown(rec))
                                        .append("'s key changed on ")
                                        .append(
                                                TIME.format(
                                                        Instant.ofEpochMilli(c.keyChangedAtMs())))
                                        .append(
                                                ": the conversation fingerprint covers both"
                                                        + " current keys, so compare it again")
                                        .append('\n'));
        sb.append("Compare them with ")
                .append(t.shown(rec))
                .append(
                        " over another channel (in person, by phone): equal numbers mean no one"
                                + " is in the middle and both histories hold the same messages.");
        out.block(
                "fingerprint",
                sb.toString(),
                "peer",
                t.label(rec),
                "identity_id",
                rec.id().toHex(),
                "identity_fingerprint",
                rec.id().fingerprint(),
                "session_fingerprint",
                session,
                "conversation_fingerprint",
                conversation,
                "messages",
                h.size(),
                "own_fingerprint",
                chatNode.identityId().fingerprint(),
                "key_id",
                rec.currentKeyId().toHex(),
                "verified",
                contact.map(ChatService.ContactState::verified).orElse(false),
                "held",
                contact.map(ChatService.ContactState::held).orElse(false),
                "verified_at_ms",
                contact.map(ChatService.ContactState::verifiedAtMs).filter(t -> t > 0).orElse(null),
                "key_changed_at_ms",
                contact.map(ChatService.ContactState::keyChangedAtMs)
                        .filter(t -> t > 0)
                        .orElse(null));
    }

    void history(Command.History command) throws CommandError, InterruptedException {
        String target = command.target();
        int n = command.count();
        IdentityRecord rec;
        if (target != null) {
            rec = t.lookup(target);
        } else {
            Contact c = current.get();
            if (c == null) {
                throw new CommandError(
                        "no conversation yet, so no history to show: name one, as in /history"
                                + " <name>");
            }
            rec = t.lookup(c.id().toHex());
        }
        List<HistoryEntry> all = Targets.await(chatNode.chat().history(rec.id()));
        List<HistoryEntry> last = all.subList(Math.max(0, all.size() - n), all.size());
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        sb.append("history with ")
                .append(t.shown(rec))
                .append(": ")
                .append(Words.count(all.size(), "message"))
                .append(all.size() > last.size() ? ", the last " + last.size() : "")
                .append('\n');
        for (HistoryEntry e : last) {
            Optional<HistoryRows> parsed = HistoryRows.of(e);
            if (parsed.isEmpty()) {
                continue;
            }
            ChatMessage m = parsed.get().message();
            boolean sent = parsed.get().sent();
            boolean acked =
                    !sent
                            || Targets.await(
                                    chatNode.chat().isAcknowledged(rec.id(), m.getMessageId()));
            sb.append(TIME.format(Instant.ofEpochMilli(e.getStoredAtMs())))
                    .append(sent ? "  <you> " : "  <" + t.shown(rec) + "> ")
                    .append(escape(m.getText()))
                    .append(sent && !acked ? "  (not delivered yet)" : "")
                    .append('\n');
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("direction", sent ? "sent" : "received");
            row.put("text", m.getText());
            row.put("at_ms", e.getStoredAtMs());
            row.put("message_id", parsed.get().messageId());
            row.put("delivered", acked);
            rows.add(row);
        }
        out.block(
                "history",
                sb.toString().stripTrailing(),
                "peer",
                t.label(rec),
                "identity_id",
                rec.id().toHex(),
                "total",
                all.size(),
                "messages",
                rows);
    }

    void whois(String target, boolean json) throws CommandError, InterruptedException {
        IdentityRecord rec = t.lookup(target);
        Optional<ChatService.ContactState> contact =
                Targets.await(chatNode.chat().contactState(rec.id()));
        PeerId lookedUp = Identities.peerIdOrNull(target);
        Map<String, Object> fields = null;
        {
            if (contact.isPresent()) {
                ChatService.ContactState st = contact.get();
                fields = new LinkedHashMap<>();
                fields.put("name", st.name().isEmpty() ? null : st.name());
                fields.put("former_name", st.formerName().isEmpty() ? null : st.formerName());
                fields.put("verified", st.verified());
                fields.put("held", st.held());
                fields.put("verified_at_ms", st.verifiedAtMs() > 0 ? st.verifiedAtMs() : null);
                fields.put("previous_key_id", st.previousKeyId().map(PeerId::toHex).orElse(null));
                fields.put(
                        "key_changed_at_ms", st.keyChangedAtMs() > 0 ? st.keyChangedAtMs() : null);
                fields.put("added_at_ms", st.addedAtMs());
            }
        }
        Optional<Certificates> cert =
                Targets.await(chatNode.ledger().certificate(rec.currentKeyId()))
                        .map(c -> Certificates.check(c, chatNode.ledger(), rec));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("identity", Identities.toJson(rec, chatNode.ledger(), lookedUp));
        m.put("contact", fields);
        m.put("certificate", cert.map(c -> c.toJson(rec, chatNode.ledger())).orElse(null));
        {
            StringBuilder sb =
                    new StringBuilder(Identities.describe(rec, chatNode.ledger(), lookedUp));
            sb.append("\n  contact:       ")
                    .append(contact.isEmpty() ? "no (you have not talked with it)" : "yes")
                    .append("\n  verified:      ")
                    .append(verifiedState(rec, contact))
                    .append("\n  certificate:   ")
                    .append(
                            cert.map(
                                            c ->
                                                    "block #"
                                                            + c.certificate().blockHeader().height()
                                                            + ", transaction "
                                                            + (c.certificate().txIndex() + 1)
                                                            + " of "
                                                            + c.certificate().txCount()
                                                            + ", "
                                                            + escape(c.verdict()))
                                    .orElse("none (no stored block installs the current key)"));
            contact.filter(c -> c.keyChangedAtMs() > 0)
                    .ifPresent(
                            c ->
                                    sb.append("\n  key changed:   ")
                                            .append(
                                                    TIME.format(
                                                            Instant.ofEpochMilli(
                                                                    c.keyChangedAtMs())))
                                            .append(
                                                    c.previousKeyId()
                                                            .map(k -> " (was " + k.shortId() + ")")
                                                            .orElse("")));
            out.record("whois", sb.toString(), m, json);
        }
    }

    /** Whether the person verified {@code rec}, in words for /fingerprint and /whois. */
    private String verifiedState(IdentityRecord rec, Optional<ChatService.ContactState> c) {
        if (c.isPresent() && c.get().verified()) {
            return "yes, on " + TIME.format(Instant.ofEpochMilli(c.get().verifiedAtMs()));
        }
        if (c.isPresent() && c.get().held()) {
            return "NO: "
                    + t.shown(rec)
                    + "'s key changed after you verified it on "
                    + TIME.format(Instant.ofEpochMilli(c.get().verifiedAtMs()))
                    + "; nothing is sent to "
                    + t.shown(rec)
                    + " until you compare and /verify "
                    + t.shown(rec)
                    + " (or /accept "
                    + t.shown(rec)
                    + ")";
        }
        return "no: compare the numbers with " + t.shown(rec) + ", then /verify " + t.shown(rec);
    }

    void verify(String target) throws CommandError, InterruptedException {
        IdentityRecord rec = t.lookup(target);
        if (rec.id().equals(chatNode.identity().peerId())
                || rec.currentKeyId().equals(chatNode.identity().peerId())) {
            throw new CommandError("that is you");
        }
        t.requireSameIdentity(target, rec, "not verifying");
        ChatService.ContactState st = Targets.await(chatNode.chat().verify(rec));
        String conversation = Targets.await(chatNode.chat().conversationFingerprint(rec.id()));
        String session =
                chatNode.chat()
                        .peerOf(rec.id())
                        .map(p -> p.session().sessionFingerprint())
                        .orElse(null);
        String text =
                "verified "
                        + t.shown(rec)
                        + ": you compared these with "
                        + t.shown(rec)
                        + " and they matched\n"
                        + "  identity fingerprint:     "
                        + rec.id().fingerprint()
                        + "\n  current key:              "
                        + rec.currentKeyId().fingerprint()
                        + "\n  conversation fingerprint: "
                        + conversation
                        + (session == null ? "" : "\n  session fingerprint:      " + session)
                        + "\nIf "
                        + t.shown(rec)
                        + "'s key changes, you will be told, and nothing more is sent to "
                        + t.shown(rec)
                        + " until you compare and /verify again.";
        out.event(
                "verified",
                text,
                "peer",
                t.label(rec),
                "identity_id",
                rec.id().toHex(),
                "key_id",
                rec.currentKeyId().toHex(),
                "identity_fingerprint",
                rec.id().fingerprint(),
                "conversation_fingerprint",
                conversation,
                "session_fingerprint",
                session,
                "verified_at_ms",
                st.verifiedAtMs());
    }

    void accept(String target) throws CommandError, InterruptedException {
        IdentityRecord rec = t.lookup(target);
        String name = Targets.addressedName(target, rec);
        ChatService.Accepted a = Targets.await(chatNode.chat().accept(name, rec));
        List<String> lines = new ArrayList<>();
        if (a.formerId().isPresent()) {
            lines.add(
                    "'"
                            + escape(name)
                            + "' now means identity "
                            + rec.id().fingerprint()
                            + ": messages to "
                            + escape(name)
                            + " go to it, in a new conversation with its own fingerprint"
                            + " (compare it: /fingerprint "
                            + escape(name)
                            + "). Your conversation with the "
                            + escape(name)
                            + " you knew stays under its id "
                            + a.formerId().get().toHex());
        }
        if (a.released()) {
            lines.add(
                    "sending to "
                            + t.shown(rec)
                            + " goes on with its new key; "
                            + t.shown(rec)
                            + " is not verified any more: compare /fingerprint "
                            + t.shown(rec)
                            + " with them, then /verify "
                            + t.shown(rec));
        }
        if (lines.isEmpty()) {
            if (name == null && chatNode.chat().nameDisputed(rec.id())) {
                throw new CommandError(
                        "to give the name '"
                                + rec.displayName().orElse("")
                                + "' to this identity, /accept it by that name");
            }
            lines.add(
                    "nothing to accept for "
                            + t.shown(rec)
                            + ": its name and key are the ones you knew");
        }
        out.event(
                "accepted",
                String.join("\n", lines),
                "peer",
                t.label(rec),
                "identity_id",
                rec.id().toHex(),
                "name",
                a.formerId().isPresent() ? name : null,
                "former_identity_id",
                a.formerId().map(PeerId::toHex).orElse(null),
                "released",
                a.released());
    }
}
