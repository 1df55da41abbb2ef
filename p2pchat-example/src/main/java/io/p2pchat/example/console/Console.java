package io.p2pchat.example.console;

import static io.p2pchat.example.console.TerminalText.escape;

import io.netty.util.concurrent.Future;
import io.p2pchat.SecureSession;
import io.p2pchat.SessionStats;
import io.p2pchat.example.ChatNode;
import io.p2pchat.example.Explain;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.ChainTip;
import io.p2pchat.ledger.IdentityRecord;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.PeerAccess;
import io.p2pchat.ledger.RegisteredAddress;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The node's console: reads slash commands (and plain text for the current conversation) from a
 * terminal through JLine, or line by line from a pipe, and runs them.
 *
 * <pre>
 * /connect &lt;name|peer-id|host:port&gt;   /msg &lt;name|peer-id&gt; &lt;text&gt;   /peers
 * /fingerprint &lt;peer&gt;   /rotate &lt;peer&gt; [--rekey]   /history &lt;peer&gt; [n]
 * /whois &lt;name|peer-id&gt;   /ledger [--json]   /help   /quit
 * </pre>
 *
 * Every command answers through the {@link Output}, so the same commands work for a person, a shell
 * script (plain lines) and a program ({@code --json}). Names, addresses and message texts are
 * rendered with {@link TerminalText#escape} in the lines people read (a message text is a peer's,
 * and even a name from the ledger is escaped), and given exactly in the JSON fields.
 */
public final class Console {
    static final String HELP =
            String.join(
                    "\n",
                    "Commands:",
                    "  /connect <name|peer-id|host:port>  open a secure channel (a name or id is"
                            + " looked up on the ledger)",
                    "  /msg <name|peer-id> <text>         send a message (queued until delivered)",
                    "  <text>                             send to the current conversation",
                    "  /peers                             connected peers and their sessions",
                    "  /fingerprint <peer>                fingerprints to compare out of band",
                    "  /rotate <peer> [--rekey]           change the keys now (--rekey: fresh"
                            + " X25519 + ML-KEM exchange)",
                    "  /history <peer> [n]                the last n messages (default 20)",
                    "  /whois <name|peer-id> [--json]     an identity on the ledger",
                    "  /identity [rotate|revoke|address|name]  your identity: show it, rotate"
                            + " its key, revoke it, change its addresses, claim a name",
                    "  /ledger [--json]                   the ledger's status",
                    "  /help                              this list",
                    "  /quit                              leave (Ctrl-D works too)");

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final long COMMAND_TIMEOUT_SECONDS = 20;

    private final ChatNode chatNode;
    private final Output out;
    private volatile Contact current;
    private volatile @Nullable IdentityCommands identityCommands;
    private volatile @Nullable LineReader reader;

    /** A console for {@code chatNode}, writing to {@code out}. */
    public Console(ChatNode chatNode, Output out, ChatEvents events) {
        this.chatNode = chatNode;
        this.out = out;
        events.onIncoming(
                c -> {
                    if (current == null) {
                        current = c;
                    }
                });
    }

    /** Enables the {@code /identity} commands. */
    public void identityCommands(IdentityCommands commands) {
        this.identityCommands = commands;
    }

    /** Reads commands from a terminal until /quit, Ctrl-D or Ctrl-C. */
    public void runInteractive() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            LineReader reader =
                    LineReaderBuilder.builder()
                            .terminal(terminal)
                            .appName("p2pchat")
                            .completer(
                                    new StringsCompleter(
                                            "/connect",
                                            "/msg",
                                            "/peers",
                                            "/fingerprint",
                                            "/rotate",
                                            "/history",
                                            "/whois",
                                            "/identity",
                                            "/ledger",
                                            "/help",
                                            "/quit"))
                            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                            .build();
            out.attach(reader);
            this.reader = reader;
            try {
                while (true) {
                    String line;
                    try {
                        line = reader.readLine(prompt());
                    } catch (UserInterruptException e) {
                        break;
                    } catch (EndOfFileException e) {
                        break;
                    }
                    if (!execute(line)) {
                        break;
                    }
                }
            } finally {
                out.attach(null);
                this.reader = null;
            }
        }
    }

    /**
     * Reads commands line by line from {@code in} (a pipe or a file) until /quit or the end of the
     * input.
     *
     * @return true if the input ended without /quit
     */
    public boolean runScripted(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (!execute(line)) {
                return false;
            }
        }
        return true;
    }

    private String prompt() {
        Contact c = current;
        return escape(chatNode.name()) + (c == null ? "" : " -> " + escape(c.name())) + "> ";
    }

    /**
     * Runs one line.
     *
     * @return false when the console should stop
     */
    public boolean execute(String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
            return true;
        }
        if (!trimmed.startsWith("/")) {
            Contact c = current;
            if (c == null) {
                out.error(
                        "no conversation yet: start one with /msg <name> <text> (/help lists"
                                + " the commands)");
            } else {
                send(c, trimmed);
            }
            return true;
        }
        String[] parts = trimmed.split("\\s+", 2);
        String command = parts[0].toLowerCase(Locale.ROOT);
        String args = parts.length > 1 ? parts[1].strip() : "";
        try {
            switch (command) {
                case "/quit", "/exit", "/q" -> {
                    return false;
                }
                case "/help", "/?" -> out.text(HELP);
                case "/connect", "/c" -> connect(args);
                case "/msg", "/m" -> msg(args);
                case "/peers" -> peers();
                case "/fingerprint", "/fp" -> fingerprint(args);
                case "/rotate" -> rotate(args);
                case "/history" -> history(args);
                case "/whois" -> whois(args);
                case "/identity", "/id" -> {
                    IdentityCommands ic = identityCommands;
                    if (ic == null) {
                        out.error("/identity is not available here");
                    } else if (!ic.run(args, reader)) {
                        return false;
                    }
                }
                case "/ledger" -> ledger(args);
                default -> out.error("unknown command " + command + ": /help lists them");
            }
        } catch (CommandError e) {
            out.error(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            out.error(command + " failed: " + Explain.unwrap(e).getMessage());
        }
        return true;
    }

    /** A command that cannot be carried out, explained. */
    static final class CommandError extends Exception {
        private static final long serialVersionUID = 1L;

        CommandError(String message) {
            super(message, null, false, false);
        }
    }

    // ------------------------------------------------------------------ commands

    private void connect(String target) throws CommandError, InterruptedException {
        if (target.isEmpty()) {
            throw new CommandError("usage: /connect <name|peer-id|host:port>");
        }
        InetSocketAddress address = parseAddress(target);
        if (address != null) {
            out.info("connecting to " + target + " ...");
            CompletableFuture<NodePeer> f = chatNode.node().join(address);
            try {
                NodePeer p = f.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                explainAccess(p, null);
            } catch (java.util.concurrent.ExecutionException
                    | java.util.concurrent.TimeoutException e) {
                chatNode.node().forget(address);
                throw new CommandError(Explain.connectFailure(target, e));
            }
            return;
        }
        IdentityRecord rec = lookup(target);
        if (rec.revoked()) {
            throw new CommandError(
                    label(rec)
                            + "'s identity was revoked on the ledger at height "
                            + rec.revokedAtHeight().getAsLong()
                            + ": refusing to connect");
        }
        Optional<NodePeer> existing = chatNode.chat().peerOf(rec.id());
        if (existing.isPresent()) {
            out.info("already connected to " + label(rec));
            current = Contact.of(rec);
            explainAccess(existing.get(), rec);
            return;
        }
        List<RegisteredAddress> addresses = rec.validAddresses(chatNode.ledger().clock().millis());
        if (addresses.isEmpty()) {
            throw new CommandError(
                    label(rec)
                            + " registered no reachable address on the ledger: ask for one and"
                            + " use /connect HOST:PORT");
        }
        String where = label(rec) + " at " + addresses.get(0).hostAndPort();
        out.info("connecting to " + where + " (from the ledger) ...");
        NodePeer p;
        try {
            p = chatNode.node().connect(rec.id()).get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new CommandError(Explain.connectFailure(where, e));
        }
        if (!p.keyId().equals(rec.currentKeyId())) {
            String other =
                    p.identity()
                            .map(r -> "the identity " + label(r))
                            .orElse("an unregistered key " + p.keyId().shortId());
            p.close();
            throw new CommandError(
                    "KEY CHANGED: the node at "
                            + addresses.get(0).hostAndPort()
                            + " is "
                            + other
                            + ", not "
                            + label(rec)
                            + " (whose key on the ledger is "
                            + rec.currentKeyId().shortId()
                            + "). Someone else answers at "
                            + label(rec)
                            + "'s address; the connection was closed");
        }
        chatNode.chat().keepConnected(rec.id());
        current = Contact.of(rec);
        explainAccess(p, rec);
    }

    /** Tells the person whether chat works on this connection, and if not, why. */
    private void explainAccess(NodePeer p, IdentityRecord expected) {
        if (p.access() == PeerAccess.FULL) {
            return; // the "connected" event said it all
        }
        Optional<IdentityRecord> rec = p.identity();
        if (rec.isEmpty()) {
            out.info(
                    "note: "
                            + p.keyId().shortId()
                            + " is not registered on your ledger: the connection syncs the"
                            + " ledger, but you cannot chat with it until its registration is"
                            + " mined and confirmed");
        } else {
            long conf = chatNode.confirmations(rec.get());
            out.info(
                    "note: "
                            + label(rec.get())
                            + "'s registration has "
                            + conf
                            + "/"
                            + chatNode.ledger().parameters().confirmations()
                            + " confirmations: chat works once it is confirmed");
        }
    }

    private void msg(String args) throws CommandError, InterruptedException {
        String[] parts = args.split("\\s+", 2);
        if (parts.length < 2 || parts[1].isBlank()) {
            throw new CommandError("usage: /msg <name|peer-id> <text>");
        }
        IdentityRecord rec = lookup(parts[0]);
        if (rec.id().equals(chatNode.identityId())) {
            throw new CommandError("that is you");
        }
        if (rec.revoked()) {
            throw new CommandError(
                    label(rec)
                            + "'s identity was revoked on the ledger at height "
                            + rec.revokedAtHeight().getAsLong()
                            + ": not sending");
        }
        Contact c = Contact.of(rec);
        current = c;
        send(c, parts[1].strip());
    }

    private void send(Contact c, String text) {
        if (text.length() > ChatService.MAX_TEXT_CHARS) {
            out.error("a message has at most " + ChatService.MAX_TEXT_CHARS + " characters");
            return;
        }
        ChatMessage m;
        try {
            m = chatNode.chat().send(c, text).get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            out.error("cannot send to " + c.name() + ": " + Explain.unwrap(e).getMessage());
            return;
        }
        Optional<NodePeer> peer = chatNode.chat().peerOf(c.id());
        String state = "";
        String shown = escape(c.name());
        if (peer.isEmpty()) {
            state = " (queued: " + shown + " is not connected; it is delivered when connected)";
        } else if (peer.get().access() != PeerAccess.FULL) {
            state = " (queued: " + shown + "'s registration is not confirmed yet)";
        }
        Optional<IdentityRecord> me = chatNode.ledger().identity(chatNode.identityId());
        if (me.isEmpty() || !chatNode.isConfirmed(me.get())) {
            state += " (your own registration is not confirmed yet: peers accept it once it is)";
        }
        if (out.mode() == Output.Mode.TERMINAL && state.isEmpty()) {
            return; // the line just typed says it; "delivered" follows
        }
        out.event(
                "sent",
                "<you -> " + shown + "> " + escape(text) + state,
                "to",
                c.name(),
                "to_id",
                c.id().toHex(),
                "text",
                text,
                "message_id",
                HexFormat.of().formatHex(m.getMessageId().toByteArray()),
                "queued",
                !state.isEmpty());
    }

    private void peers() {
        List<NodePeer> peers = new ArrayList<>(chatNode.node().peers());
        if (peers.isEmpty()) {
            out.event("peers", "no peers connected", "peers", List.of());
            return;
        }
        StringBuilder sb = new StringBuilder();
        List<Map<String, Object>> rows = new ArrayList<>();
        sb.append(
                String.format(
                        "%-16s %-9s %-8s %-21s %-36s %s%n",
                        "peer", "access", "dir", "address", "suite", "keys (out/in epoch)"));
        for (NodePeer p : peers) {
            SecureSession s = p.session();
            SessionStats st = s.stats();
            Optional<IdentityRecord> rec = p.identity();
            String name = ChatNode.label(rec.orElse(null), p.keyId());
            String dir = p.localRole().name().equals("INITIATOR") ? "out" : "in";
            String addr = ChatEvents.address(p.remoteAddress());
            sb.append(
                    String.format(
                            "%-16s %-9s %-8s %-21s %-36s %d/%d, %d rekeys%n",
                            escape(name),
                            p.access(),
                            dir,
                            escape(addr),
                            s.cipherSuite(),
                            st.sendEpoch(),
                            st.receiveEpoch(),
                            st.rekeys()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("peer", name);
            row.put("key_id", p.keyId().toHex());
            rec.ifPresent(r -> row.put("identity_id", r.id().toHex()));
            row.put("access", p.access().name());
            row.put("direction", dir.equals("out") ? "outbound" : "inbound");
            row.put("address", addr);
            row.put("suite", s.cipherSuite().name());
            row.put("send_epoch", st.sendEpoch());
            row.put("receive_epoch", st.receiveEpoch());
            row.put("rekeys", st.rekeys());
            rows.add(row);
        }
        if (out.mode() == Output.Mode.JSON) {
            out.event("peers", "", "peers", rows);
        } else {
            out.text(sb.toString().stripTrailing());
        }
    }

    private void fingerprint(String target) throws CommandError, InterruptedException {
        if (target.isEmpty()) {
            throw new CommandError("usage: /fingerprint <name|peer-id>");
        }
        IdentityRecord rec = lookup(target);
        String conversation = await(chatNode.chat().conversationFingerprint(rec.id()));
        List<HistoryEntry> h = await(chatNode.chat().history(rec.id()));
        Optional<NodePeer> peer = chatNode.chat().peerOf(rec.id());
        String session = peer.map(p -> p.session().sessionFingerprint()).orElse(null);
        StringBuilder sb = new StringBuilder();
        sb.append(shown(rec)).append('\n');
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
                .append(h.size())
                .append(" messages)\n");
        sb.append("  your identity:            ")
                .append(chatNode.identityId().fingerprint())
                .append('\n');
        sb.append("Compare them with ")
                .append(shown(rec))
                .append(
                        " over another channel (in person, by phone): equal numbers mean no one"
                                + " is in the middle and both histories hold the same messages.");
        if (out.mode() == Output.Mode.JSON) {
            out.event(
                    "fingerprint",
                    "",
                    "peer",
                    label(rec),
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
                    chatNode.identityId().fingerprint());
        } else {
            out.text(sb.toString());
        }
    }

    private void rotate(String args) throws CommandError, InterruptedException {
        String[] parts = args.split("\\s+");
        boolean rekey = false;
        String target = null;
        for (String p : parts) {
            if (p.equals("--rekey")) {
                rekey = true;
            } else if (!p.isEmpty()) {
                target = p;
            }
        }
        if (target == null) {
            throw new CommandError("usage: /rotate <name|peer-id> [--rekey]");
        }
        IdentityRecord rec = lookup(target);
        NodePeer p =
                chatNode.chat()
                        .peerOf(rec.id())
                        .orElseThrow(
                                () ->
                                        new CommandError(
                                                "not connected to "
                                                        + label(rec)
                                                        + ": /connect "
                                                        + label(rec)
                                                        + " first"));
        SecureSession s = p.session();
        SessionStats before = s.stats();
        Future<Void> f = rekey ? s.rekey() : s.rotateKeys(true);
        if (!f.await(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new CommandError("the key change did not complete in time");
        }
        if (!f.isSuccess()) {
            throw new CommandError("the key change failed: " + f.cause().getMessage());
        }
        SessionStats after = s.stats();
        String text =
                rekey
                        ? "rekeyed with "
                                + shown(rec)
                                + ": a fresh ephemeral exchange inside the channel; both"
                                + " directions use new keys (your outbound epoch "
                                + before.sendEpoch()
                                + " -> "
                                + after.sendEpoch()
                                + ")"
                        : "rotated keys with "
                                + shown(rec)
                                + ": your outbound key moved to epoch "
                                + after.sendEpoch()
                                + " (the old one is erased), and asked "
                                + shown(rec)
                                + " to rotate theirs";
        out.event(
                "rotated",
                text,
                "peer",
                label(rec),
                "kind",
                rekey ? "rekey" : "key_update",
                "send_epoch",
                after.sendEpoch(),
                "receive_epoch",
                after.receiveEpoch());
    }

    private void history(String args) throws CommandError, InterruptedException {
        String[] parts = args.split("\\s+");
        if (parts.length < 1 || parts[0].isEmpty()) {
            throw new CommandError("usage: /history <name|peer-id> [n]");
        }
        int n = 20;
        if (parts.length > 1) {
            try {
                n = Math.max(1, Integer.parseInt(parts[1]));
            } catch (NumberFormatException e) {
                throw new CommandError("usage: /history <name|peer-id> [n]");
            }
        }
        IdentityRecord rec = lookup(parts[0]);
        List<HistoryEntry> all = await(chatNode.chat().history(rec.id()));
        List<HistoryEntry> last = all.subList(Math.max(0, all.size() - n), all.size());
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        sb.append("history with ")
                .append(shown(rec))
                .append(": ")
                .append(all.size())
                .append(" messages")
                .append(all.size() > last.size() ? ", the last " + last.size() : "")
                .append('\n');
        for (HistoryEntry e : last) {
            ChatMessage m;
            try {
                m = ChatMessage.parseFrom(e.getMessage());
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                continue;
            }
            boolean sent = e.getDirection() == HistoryEntry.Direction.SENT;
            boolean acked =
                    !sent || await(chatNode.chat().isAcknowledged(rec.id(), m.getMessageId()));
            sb.append(TIME.format(Instant.ofEpochMilli(e.getStoredAtMs())))
                    .append(sent ? "  <you> " : "  <" + shown(rec) + "> ")
                    .append(escape(m.getText()))
                    .append(sent && !acked ? "  (not delivered yet)" : "")
                    .append('\n');
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("direction", sent ? "sent" : "received");
            row.put("text", m.getText());
            row.put("at_ms", e.getStoredAtMs());
            row.put("message_id", HexFormat.of().formatHex(m.getMessageId().toByteArray()));
            row.put("delivered", acked);
            rows.add(row);
        }
        if (out.mode() == Output.Mode.JSON) {
            out.event(
                    "history",
                    "",
                    "peer",
                    label(rec),
                    "identity_id",
                    rec.id().toHex(),
                    "total",
                    all.size(),
                    "messages",
                    rows);
        } else {
            out.text(sb.toString().stripTrailing());
        }
    }

    private void whois(String args) throws CommandError {
        boolean json = args.endsWith("--json");
        String target = json ? args.substring(0, args.length() - 6).strip() : args;
        if (target.isEmpty()) {
            throw new CommandError("usage: /whois <name|peer-id> [--json]");
        }
        IdentityRecord rec = lookup(target);
        PeerId lookedUp = Identities.peerIdOrNull(target);
        if (json || out.mode() == Output.Mode.JSON) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "whois");
            m.put("identity", Identities.toJson(rec, chatNode.ledger(), lookedUp));
            out.json(m);
        } else {
            out.text(Identities.describe(rec, chatNode.ledger(), lookedUp));
        }
    }

    private void ledger(String args) {
        Map<String, Object> status = status();
        if (args.contains("--json") || out.mode() == Output.Mode.JSON) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "ledger");
            m.putAll(status);
            out.json(m);
            return;
        }
        Ledger l = chatNode.ledger();
        ChainTip tip = l.tip();
        out.text(
                "ledger: network '"
                        + escape(l.parameters().name())
                        + "' ("
                        + l.parameters().networkIdHex().substring(0, 16)
                        + "), height "
                        + tip.height()
                        + ", tip "
                        + tip.hash().toHex()
                        + ", "
                        + l.identityCount()
                        + " identities, "
                        + status.get("mempool")
                        + " pending transactions, "
                        + chatNode.node().peers().size()
                        + " peers, "
                        + (l.miner().isRunning() ? "mining" : "not mining"));
    }

    /** The status fields of /ledger --json. */
    public Map<String, Object> status() {
        Ledger l = chatNode.ledger();
        ChainTip tip = l.tip();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("height", tip.height());
        m.put("tip", tip.hash().toHex());
        m.put("network", l.parameters().name());
        m.put("network_id", l.parameters().networkIdHex());
        m.put("identities", l.identityCount());
        int mempool;
        try {
            mempool = l.mempool().get(5, TimeUnit.SECONDS).size();
        } catch (Exception e) {
            mempool = -1;
        }
        m.put("mempool", mempool);
        m.put("peers", chatNode.node().peers().size());
        m.put("mining", l.miner().isRunning());
        return m;
    }

    // ------------------------------------------------------------------ helpers

    private IdentityRecord lookup(String target) throws CommandError {
        Optional<IdentityRecord> rec = chatNode.resolve(target);
        if (rec.isPresent()) {
            return rec.get();
        }
        String s = target.strip();
        if (s.toLowerCase(Locale.ROOT).replace(" ", "").matches("[0-9a-f]{64}")) {
            throw new CommandError(
                    "No identity with peer id "
                            + s
                            + " on your ledger (height "
                            + chatNode.ledger().tip().height()
                            + "): it is not registered, or your ledger is not synced yet");
        }
        throw new CommandError(
                "Unknown name '"
                        + s
                        + "': no identity with that name on your ledger (height "
                        + chatNode.ledger().tip().height()
                        + "). A name appears once its registration is mined and revealed; check"
                        + " the spelling, or use a peer id or HOST:PORT");
    }

    private static String label(IdentityRecord rec) {
        return rec.displayName().orElse(rec.id().shortId());
    }

    /** {@link #label} for a line people read. */
    private static String shown(IdentityRecord rec) {
        return escape(label(rec));
    }

    private static <T> T await(CompletableFuture<T> f) throws CommandError, InterruptedException {
        try {
            return f.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CommandError(Explain.unwrap(e).getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CommandError("no answer within " + COMMAND_TIMEOUT_SECONDS + " s");
        }
    }

    /** Parses "host:port" (IPv6 in brackets); null when {@code s} is not an address. */
    public static InetSocketAddress parseAddress(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            return null;
        }
        String host = s.substring(0, colon);
        String port = s.substring(colon + 1);
        if (!port.matches("[0-9]{1,5}")) {
            return null;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            return null;
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            return null;
        }
        return new InetSocketAddress(host, p);
    }

    /** The id of a peer as people read it. */
    static String shortId(PeerId id) {
        return id.shortId();
    }
}
