package io.p2pchat.example.console;

import static io.p2pchat.example.console.TerminalText.escape;

import io.netty.util.concurrent.Future;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.channel.SessionStats;
import io.p2pchat.example.ChatNode;
import io.p2pchat.example.Explain;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
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
 * /fingerprint &lt;peer&gt;   /rotate &lt;peer&gt; [--rekey]   /history [peer] [n]
 * /whois &lt;name|peer-id&gt;   /verify &lt;peer&gt;   /accept &lt;peer&gt;   /ledger [--json]
 * /help   /quit
 * </pre>
 *
 * Every command answers through the {@link Output}, so the same commands work for a person, a shell
 * script (plain lines) and a program ({@code --json}). Names, addresses and message texts are
 * rendered with {@link TerminalText#escape} in the lines people read (a message text is a peer's,
 * and even a name from the ledger is escaped), and given exactly in the JSON fields.
 *
 * <p>Before anything is sent to a name, the console asks the chat whether the person knows another
 * identity by it ({@link ChatService#checkName}): if the ledger now gives the name to someone else,
 * it prints the loud notice and sends nothing until {@code /accept NAME}. A contact whose key
 * changed after {@code /verify} is held the same way ({@link ChatService.HeldException}).
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
                    "  /history [peer] [n]                the last n messages (default 20) with"
                            + " peer (default: the current conversation)",
                    "  /whois <name|peer-id>              an identity on the ledger",
                    "  /verify <name|peer-id>             mark a contact verified after comparing"
                            + " /fingerprint with them",
                    "  /accept <name|peer-id>             accept a name that now means another"
                            + " identity, or a verified contact's new key",
                    "  /identity [rotate|revoke|address|name]  your identity: show it, rotate"
                            + " its key, revoke it, change its addresses, claim a name",
                    "  /ledger [--json]                   the ledger's status",
                    "  /help                              this list",
                    "  /quit                              leave (Ctrl-D works too)");

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final long COMMAND_TIMEOUT_SECONDS = 20;

    /** The most characters a command line may have: a message of the most, and its command. */
    public static final int MAX_LINE_CHARS = ChatService.MAX_TEXT_CHARS + 128;

    private final ChatNode chatNode;
    private final Output out;
    private volatile Contact current;
    private volatile boolean failed;
    private volatile @Nullable IdentityCommands identityCommands;
    private volatile @Nullable LineReader reader;

    /** A console for {@code chatNode}, writing to {@code out}. */
    public Console(ChatNode chatNode, Output out, ChatEvents events) {
        this.chatNode = chatNode;
        this.out = out;
        events.onIncoming(
                c -> {
                    // Text typed next goes to the current conversation: never, by itself, to an
                    // identity that holds a name the person knows someone else by.
                    if (current == null && !chatNode.chat().nameDisputed(c.id())) {
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
                                            "/verify",
                                            "/accept",
                                            "/identity",
                                            "/ledger",
                                            "/help",
                                            "/quit"))
                            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                            .build();
            BoundedInput input = BoundedInput.install(reader, MAX_LINE_CHARS);
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
                    if (input.takeOverLong()) {
                        fail(tooLong());
                        continue;
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
     * input. A line longer than {@link #MAX_LINE_CHARS} is not kept in memory, nor run: it is
     * reported as an error.
     *
     * @return true if the input ended without /quit
     */
    public boolean runScripted(InputStream in) throws IOException {
        BoundedLineReader r =
                new BoundedLineReader(
                        new InputStreamReader(in, StandardCharsets.UTF_8), MAX_LINE_CHARS);
        BoundedLineReader.Line line;
        while ((line = r.next()) != null) {
            if (line.cut()) {
                fail(tooLong());
                continue;
            }
            if (!execute(line.text())) {
                return false;
            }
        }
        return true;
    }

    /** Whether a command failed (it printed an error): a script's exit status says so. */
    public boolean anyCommandFailed() {
        return failed;
    }

    private static String tooLong() {
        return "this line is longer than "
                + MAX_LINE_CHARS
                + " characters (a message has at most "
                + ChatService.MAX_TEXT_CHARS
                + "): it was dropped, not sent; split the text into several messages";
    }

    /** A command failed: says why, and remembers it for the exit status of a script. */
    private void fail(String text) {
        failed = true;
        out.error(text);
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
                fail(
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
                case "/help", "/?" -> help();
                case "/connect", "/c" -> connect(args);
                case "/msg", "/m" -> msg(args);
                case "/peers" -> peers();
                case "/fingerprint", "/fp" -> fingerprint(args);
                case "/rotate" -> rotate(args);
                case "/history" -> history(args);
                case "/whois" -> whois(args);
                case "/verify" -> verify(args);
                case "/accept" -> accept(args);
                case "/identity", "/id" -> {
                    IdentityCommands ic = identityCommands;
                    if (ic == null) {
                        out.error("/identity is not available here");
                    } else if (!ic.run(args, reader)) {
                        return false;
                    }
                }
                case "/ledger" -> ledger(args);
                default -> fail("unknown command " + command + ": /help lists them");
            }
        } catch (CommandError e) {
            fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            fail(command + " failed: " + Explain.unwrap(e).getMessage());
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

    /** The commands: the list for people, one {@code help} event with them for programs. */
    private void help() {
        if (out.mode() != Output.Mode.JSON) {
            out.text(HELP);
            return;
        }
        List<Map<String, String>> commands = new ArrayList<>();
        for (String l : HELP.split("\n")) {
            if (l.startsWith("  ")) {
                String row = l.strip();
                int gap = row.indexOf("  ");
                Map<String, String> c = new LinkedHashMap<>();
                c.put("usage", row.substring(0, gap));
                c.put("description", row.substring(gap).strip());
                commands.add(c);
            }
        }
        out.event("help", "", "commands", commands);
    }

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
        requireSameIdentity(target, rec, "not connecting to");
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
            chatNode.chat().keepConnected(rec.id());
            current = chatNode.chat().contact(rec);
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
        current = chatNode.chat().contact(rec);
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
        if (rec.id().equals(chatNode.identityId())
                || rec.currentKeyId().equals(chatNode.identity().peerId())) {
            throw new CommandError("that is you");
        }
        requireSameIdentity(parts[0], rec, "nothing was sent to");
        if (rec.revoked()) {
            throw new CommandError(
                    label(rec)
                            + "'s identity was revoked on the ledger at height "
                            + rec.revokedAtHeight().getAsLong()
                            + ": not sending");
        }
        Contact c = chatNode.chat().contact(rec);
        current = c;
        send(c, parts[1].strip());
    }

    /**
     * When {@code target} is a name the person knows another identity by than {@code rec}, the one
     * the ledger gives it to now: the chat prints the loud notice, and the command stops here.
     */
    private void requireSameIdentity(String target, IdentityRecord rec, String refused)
            throws CommandError, InterruptedException {
        String name = addressedName(target, rec);
        if (name == null) {
            return; // an identity id: the person chose the identity itself
        }
        if (await(chatNode.chat().checkName(name, rec)).isPresent()) {
            throw new CommandError(
                    refused
                            + " '"
                            + name
                            + "': on your ledger it is now another identity than the "
                            + name
                            + " you knew (see above); /accept "
                            + name
                            + " to talk to the new one");
        }
    }

    /** The name {@code target} addressed {@code rec} by, or null when it gave an id. */
    private static @Nullable String addressedName(String target, IdentityRecord rec) {
        String s = target.strip();
        if (s.startsWith("@")) {
            s = s.substring(1);
        }
        String lower = s.toLowerCase(Locale.ROOT);
        return rec.displayName().filter(lower::equals).orElse(null);
    }

    private void send(Contact c, String text) {
        if (text.length() > ChatService.MAX_TEXT_CHARS) {
            fail("a message has at most " + ChatService.MAX_TEXT_CHARS + " characters");
            return;
        }
        ChatMessage m;
        try {
            m = chatNode.chat().send(c, text).get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = Explain.unwrap(e);
            fail(
                    cause instanceof ChatService.HeldException
                            ? cause.getMessage()
                            : "cannot send to " + c.name() + ": " + cause.getMessage());
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
                        "peer", "access", "dir", "listen address", "suite", "keys (out/in epoch)"));
        for (NodePeer p : peers) {
            SecureSession s = p.session();
            SessionStats st = s.stats();
            Optional<IdentityRecord> rec = p.identity();
            String name = ChatNode.label(rec.orElse(null), p.keyId());
            String dir = p.localRole().name().equals("INITIATOR") ? "out" : "in";
            // Where it listens (for a peer that dialled us, not the ephemeral port it came from).
            String listen = ChatEvents.listenAddress(p);
            String addr = listen == null ? "-" : listen;
            sb.append(
                    String.format(
                            "%-16s %-9s %-8s %-21s %-36s %d/%d, %s%n",
                            escape(name),
                            p.access(),
                            dir,
                            escape(addr),
                            s.cipherSuite(),
                            st.sendEpoch(),
                            st.receiveEpoch(),
                            Words.count(st.rekeys(), "rekey")));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("peer", name);
            row.put("key_id", p.keyId().toHex());
            rec.ifPresent(r -> row.put("identity_id", r.id().toHex()));
            row.put("access", p.access().name());
            row.put("direction", dir.equals("out") ? "outbound" : "inbound");
            row.put("address", ChatEvents.address(p.remoteAddress()));
            row.put("listen_address", listen);
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
        Optional<ChatService.ContactState> contact = await(chatNode.chat().contactState(rec.id()));
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
                                        .append(shown(rec))
                                        .append("'s key changed on ")
                                        .append(
                                                TIME.format(
                                                        Instant.ofEpochMilli(c.keyChangedAtMs())))
                                        .append(
                                                ": the conversation fingerprint covers both"
                                                        + " current keys, so compare it again")
                                        .append('\n'));
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
                    chatNode.identityId().fingerprint(),
                    "key_id",
                    rec.currentKeyId().toHex(),
                    "verified",
                    contact.map(ChatService.ContactState::verified).orElse(false),
                    "held",
                    contact.map(ChatService.ContactState::held).orElse(false),
                    "verified_at_ms",
                    contact.map(ChatService.ContactState::verifiedAtMs)
                            .filter(t -> t > 0)
                            .orElse(null),
                    "key_changed_at_ms",
                    contact.map(ChatService.ContactState::keyChangedAtMs)
                            .filter(t -> t > 0)
                            .orElse(null));
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
        String usage = "usage: /history [name|peer-id] [n] (default: the current conversation)";
        String[] parts = args.isEmpty() ? new String[0] : args.split("\\s+");
        // "/history", "/history 50", "/history bob", "/history bob 50".
        String target = null;
        String count = null;
        if (parts.length == 1 && parts[0].matches("[0-9]{1,9}")) {
            count = parts[0];
        } else if (parts.length >= 1) {
            target = parts[0];
            count = parts.length > 1 ? parts[1] : null;
        }
        if (parts.length > 2) {
            throw new CommandError(usage);
        }
        int n = 20;
        if (count != null) {
            try {
                n = Math.max(1, Integer.parseInt(count));
            } catch (NumberFormatException e) {
                throw new CommandError(usage);
            }
        }
        IdentityRecord rec;
        if (target != null) {
            rec = lookup(target);
        } else {
            Contact c = current;
            if (c == null) {
                throw new CommandError(
                        "no conversation yet, so no history to show: name one, as in /history"
                                + " <name>");
            }
            rec = lookup(c.id().toHex());
        }
        List<HistoryEntry> all = await(chatNode.chat().history(rec.id()));
        List<HistoryEntry> last = all.subList(Math.max(0, all.size() - n), all.size());
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        sb.append("history with ")
                .append(shown(rec))
                .append(": ")
                .append(Words.count(all.size(), "message"))
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

    private void whois(String args) throws CommandError, InterruptedException {
        boolean json = args.endsWith("--json");
        String target = json ? args.substring(0, args.length() - 6).strip() : args;
        if (target.isEmpty()) {
            throw new CommandError("usage: /whois <name|peer-id> [--json]");
        }
        IdentityRecord rec = lookup(target);
        Optional<ChatService.ContactState> contact = await(chatNode.chat().contactState(rec.id()));
        PeerId lookedUp = Identities.peerIdOrNull(target);
        if (json || out.mode() == Output.Mode.JSON) {
            Map<String, Object> c = null;
            if (contact.isPresent()) {
                ChatService.ContactState st = contact.get();
                c = new LinkedHashMap<>();
                c.put("name", st.name().isEmpty() ? null : st.name());
                c.put("former_name", st.formerName().isEmpty() ? null : st.formerName());
                c.put("verified", st.verified());
                c.put("held", st.held());
                c.put("verified_at_ms", st.verifiedAtMs() > 0 ? st.verifiedAtMs() : null);
                c.put("previous_key_id", st.previousKeyId().map(PeerId::toHex).orElse(null));
                c.put("key_changed_at_ms", st.keyChangedAtMs() > 0 ? st.keyChangedAtMs() : null);
                c.put("added_at_ms", st.addedAtMs());
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "whois");
            m.put("identity", Identities.toJson(rec, chatNode.ledger(), lookedUp));
            m.put("contact", c);
            out.json(m);
        } else {
            StringBuilder sb =
                    new StringBuilder(Identities.describe(rec, chatNode.ledger(), lookedUp));
            sb.append("\n  contact:       ")
                    .append(contact.isEmpty() ? "no (you have not talked with it)" : "yes")
                    .append("\n  verified:      ")
                    .append(verifiedState(rec, contact));
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
            out.text(sb.toString());
        }
    }

    /** Whether the person verified {@code rec}, in words for /fingerprint and /whois. */
    private String verifiedState(IdentityRecord rec, Optional<ChatService.ContactState> c) {
        if (c.isPresent() && c.get().verified()) {
            return "yes, on " + TIME.format(Instant.ofEpochMilli(c.get().verifiedAtMs()));
        }
        if (c.isPresent() && c.get().held()) {
            return "NO: "
                    + shown(rec)
                    + "'s key changed after you verified it on "
                    + TIME.format(Instant.ofEpochMilli(c.get().verifiedAtMs()))
                    + "; nothing is sent to "
                    + shown(rec)
                    + " until you compare and /verify "
                    + shown(rec)
                    + " (or /accept "
                    + shown(rec)
                    + ")";
        }
        return "no: compare the numbers with " + shown(rec) + ", then /verify " + shown(rec);
    }

    private void verify(String target) throws CommandError, InterruptedException {
        if (target.isEmpty()) {
            throw new CommandError("usage: /verify <name|peer-id>");
        }
        IdentityRecord rec = lookup(target);
        if (rec.id().equals(chatNode.identity().peerId())
                || rec.currentKeyId().equals(chatNode.identity().peerId())) {
            throw new CommandError("that is you");
        }
        requireSameIdentity(target, rec, "not verifying");
        ChatService.ContactState st = await(chatNode.chat().verify(rec));
        String conversation = await(chatNode.chat().conversationFingerprint(rec.id()));
        String session =
                chatNode.chat()
                        .peerOf(rec.id())
                        .map(p -> p.session().sessionFingerprint())
                        .orElse(null);
        String text =
                "verified "
                        + shown(rec)
                        + ": you compared these with "
                        + shown(rec)
                        + " and they matched\n"
                        + "  identity fingerprint:     "
                        + rec.id().fingerprint()
                        + "\n  current key:              "
                        + rec.currentKeyId().fingerprint()
                        + "\n  conversation fingerprint: "
                        + conversation
                        + (session == null ? "" : "\n  session fingerprint:      " + session)
                        + "\nIf "
                        + shown(rec)
                        + "'s key changes, you will be told, and nothing more is sent to "
                        + shown(rec)
                        + " until you compare and /verify again.";
        out.event(
                "verified",
                text,
                "peer",
                label(rec),
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

    private void accept(String target) throws CommandError, InterruptedException {
        if (target.isEmpty()) {
            throw new CommandError("usage: /accept <name|peer-id>");
        }
        IdentityRecord rec = lookup(target);
        String name = addressedName(target, rec);
        ChatService.Accepted a = await(chatNode.chat().accept(name, rec));
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
                            + shown(rec)
                            + " goes on with its new key; "
                            + shown(rec)
                            + " is not verified any more: compare /fingerprint "
                            + shown(rec)
                            + " with them, then /verify "
                            + shown(rec));
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
                            + shown(rec)
                            + ": its name and key are the ones you knew");
        }
        out.event(
                "accepted",
                String.join("\n", lines),
                "peer",
                label(rec),
                "identity_id",
                rec.id().toHex(),
                "name",
                a.formerId().isPresent() ? name : null,
                "former_identity_id",
                a.formerId().map(PeerId::toHex).orElse(null),
                "released",
                a.released());
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
                        + Words.count(l.identityCount(), "identity", "identities")
                        + ", "
                        + Words.count((int) status.get("mempool"), "pending transaction")
                        + ", "
                        + Words.count(chatNode.node().peers().size(), "peer")
                        + ", "
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

    /**
     * How the person knows {@code rec} ({@link ChatService#contact}): its name, marked when it is a
     * name they know another identity by, or its short id.
     */
    private String label(IdentityRecord rec) {
        return chatNode.chat().contact(rec).name();
    }

    /** {@link #label} for a line people read. */
    private String shown(IdentityRecord rec) {
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
