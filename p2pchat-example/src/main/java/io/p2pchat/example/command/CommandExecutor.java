package io.p2pchat.example.command;

import static io.p2pchat.example.text.TerminalText.escape;

import io.netty.util.concurrent.Future;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.channel.SessionStats;
import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.Event;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Words;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@link Command}s against the node and its chat, and reports every outcome as events on an
 * {@link EventSink}: answers, notes, and errors explained. The console is one view that feeds it
 * commands and shows its events; a web page can be another.
 *
 * <p>Before anything is sent to a name, it asks the chat whether the person knows another identity
 * by it ({@link ChatService#checkName}): if the ledger now gives the name to someone else, the chat
 * publishes the loud notice and nothing is sent until {@code /accept NAME}. A contact whose key
 * changed after {@code /verify} is held the same way ({@link ChatService.HeldException}).
 *
 * <p>Threading: commands run one at a time on the caller's thread (the console's), which may block
 * for the node's answers (at most {@value Targets#COMMAND_TIMEOUT_SECONDS} s each); never call it
 * on an event loop. The current conversation is {@code volatile}: the chat thread sets it when the
 * first message arrives ({@link #incoming}).
 */
public final class CommandExecutor {
    /** The command list people read; {@code /help --json} gives it as fields. */
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

    private final ChatNode chatNode;
    private final EventSink out;
    private final Targets t;
    private final ContactCommands contacts;
    private volatile @Nullable Contact current;
    private volatile boolean failed;
    private volatile @Nullable IdentityCommands identityCommands;

    /** Runs commands on {@code chatNode}, reporting to {@code out}. */
    public CommandExecutor(ChatNode chatNode, EventSink out) {
        this.chatNode = chatNode;
        this.out = out;
        this.t = new Targets(chatNode);
        this.contacts = new ContactCommands(chatNode, out, t, () -> current);
    }

    /** Enables the {@code /identity} commands. */
    public void identityCommands(IdentityCommands commands) {
        this.identityCommands = commands;
    }

    /**
     * A message arrived from {@code c}: text typed next goes to it, if there is no conversation yet
     * (but never, by itself, to an identity that holds a name the person knows someone else by).
     */
    public void incoming(Contact c) {
        if (current == null && !chatNode.chat().nameDisputed(c.id())) {
            current = c;
        }
    }

    /** The current conversation, or null. */
    public @Nullable Contact current() {
        return current;
    }

    /** Whether a command failed (it reported an error): a script's exit status says so. */
    public boolean anyCommandFailed() {
        return failed;
    }

    /** A command failed: says why, and remembers it for the exit status of a script. */
    public void fail(String text) {
        failed = true;
        out.error(text);
    }

    /**
     * Runs {@code command}; failures are reported as {@code error} events.
     *
     * @param prompter asks the person in the middle of a command, or null (a script)
     * @return false when the node should stop ({@code /quit}, a revoked identity)
     */
    public boolean execute(Command command, @Nullable Prompter prompter) {
        try {
            if (command instanceof Command.Quit) {
                return false;
            } else if (command instanceof Command.Say s) {
                say(s.text());
            } else if (command instanceof Command.Help) {
                help();
            } else if (command instanceof Command.Connect c) {
                connect(c.target());
            } else if (command instanceof Command.Msg m) {
                msg(m);
            } else if (command instanceof Command.Peers) {
                peers();
            } else if (command instanceof Command.Fingerprint f) {
                contacts.fingerprint(f.target());
            } else if (command instanceof Command.Rotate r) {
                rotate(r);
            } else if (command instanceof Command.History h) {
                contacts.history(h);
            } else if (command instanceof Command.Whois w) {
                contacts.whois(w.target(), w.json());
            } else if (command instanceof Command.Verify v) {
                contacts.verify(v.target());
            } else if (command instanceof Command.Accept a) {
                contacts.accept(a.target());
            } else if (command instanceof Command.Identity i) {
                IdentityCommands ic = identityCommands;
                if (ic == null) {
                    out.error("/identity is not available here");
                } else if (!ic.run(i, prompter)) {
                    return false;
                }
            } else if (command instanceof Command.Ledger l) {
                ledger(l.json());
            }
        } catch (CommandError e) {
            fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            fail(command.verb() + " failed: " + Explain.unwrap(e).getMessage());
        }
        return true;
    }

    private void say(String text) {
        Contact c = current;
        if (c == null) {
            fail(
                    "no conversation yet: start one with /msg <name> <text> (/help lists the"
                            + " commands)");
        } else {
            send(c, text);
        }
    }

    /** The commands: the list for people, one {@code help} event with them for programs. */
    private void help() {
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
        out.block("help", HELP, "commands", commands);
    }

    private void connect(String target) throws CommandError, InterruptedException {
        InetSocketAddress address = Targets.parseAddress(target);
        if (address != null) {
            out.info("connecting to " + target + " ...");
            CompletableFuture<NodePeer> f = chatNode.node().join(address);
            try {
                NodePeer p = f.get(Targets.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                explainAccess(p, null);
            } catch (java.util.concurrent.ExecutionException
                    | java.util.concurrent.TimeoutException e) {
                chatNode.node().forget(address);
                throw new CommandError(Explain.connectFailure(target, e));
            }
            return;
        }
        IdentityRecord rec = t.lookup(target);
        t.requireSameIdentity(target, rec, "not connecting to");
        if (rec.revoked()) {
            throw new CommandError(
                    t.label(rec)
                            + "'s identity was revoked on the ledger at height "
                            + rec.revokedAtHeight().getAsLong()
                            + ": refusing to connect");
        }
        Optional<NodePeer> existing = chatNode.chat().peerOf(rec.id());
        if (existing.isPresent()) {
            out.info("already connected to " + t.label(rec));
            chatNode.chat().keepConnected(rec.id());
            current = chatNode.chat().contact(rec);
            explainAccess(existing.get(), rec);
            return;
        }
        List<RegisteredAddress> addresses = rec.validAddresses(chatNode.ledger().clock().millis());
        if (addresses.isEmpty()) {
            throw new CommandError(
                    t.label(rec)
                            + " registered no reachable address on the ledger: ask for one and"
                            + " use /connect HOST:PORT");
        }
        String where = t.label(rec) + " at " + addresses.get(0).hostAndPort();
        out.info("connecting to " + where + " (from the ledger) ...");
        NodePeer p;
        try {
            p =
                    chatNode.node()
                            .connect(rec.id())
                            .get(Targets.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new CommandError(Explain.connectFailure(where, e));
        }
        if (!p.keyId().equals(rec.currentKeyId())) {
            String other =
                    p.identity()
                            .map(r -> "the identity " + t.label(r))
                            .orElse("an unregistered key " + p.keyId().shortId());
            p.close();
            throw new CommandError(
                    "KEY CHANGED: the node at "
                            + addresses.get(0).hostAndPort()
                            + " is "
                            + other
                            + ", not "
                            + t.label(rec)
                            + " (whose key on the ledger is "
                            + rec.currentKeyId().shortId()
                            + "). Someone else answers at "
                            + t.label(rec)
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
                            + t.label(rec.get())
                            + "'s registration has "
                            + conf
                            + "/"
                            + chatNode.ledger().parameters().confirmations()
                            + " confirmations: chat works once it is confirmed");
        }
    }

    private void msg(Command.Msg command) throws CommandError, InterruptedException {
        IdentityRecord rec = t.lookup(command.target());
        if (rec.id().equals(chatNode.identityId())
                || rec.currentKeyId().equals(chatNode.identity().peerId())) {
            throw new CommandError("that is you");
        }
        t.requireSameIdentity(command.target(), rec, "nothing was sent to");
        if (rec.revoked()) {
            throw new CommandError(
                    t.label(rec)
                            + "'s identity was revoked on the ledger at height "
                            + rec.revokedAtHeight().getAsLong()
                            + ": not sending");
        }
        Contact c = chatNode.chat().contact(rec);
        current = c;
        send(c, command.text());
    }

    private void send(Contact c, String text) {
        if (text.length() > ChatService.MAX_TEXT_CHARS) {
            fail("a message has at most " + ChatService.MAX_TEXT_CHARS + " characters");
            return;
        }
        ChatMessage m;
        try {
            m =
                    chatNode.chat()
                            .send(c, text)
                            .get(Targets.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
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
        // On a terminal, the line just typed says it; "delivered" follows.
        out.publish(
                Event.of(
                        state.isEmpty() ? Event.Form.QUIET_ON_TERMINAL : Event.Form.LINE,
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
                        !state.isEmpty()));
    }

    /** The {@code /peers} column for each {@link ChatEvents#signature} kind. */
    private static final Map<String, String> AUTH_LABELS =
            Map.of(
                    "resumption-ticket", "resumed",
                    "ed25519-credential", "Ed25519",
                    "rsa-pss", "RSA-PSS");

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
                        "%-16s %-9s %-8s %-21s %-36s %-8s %s%n",
                        "peer",
                        "access",
                        "dir",
                        "listen address",
                        "suite",
                        "auth",
                        "keys (out/in epoch)"));
        for (NodePeer p : peers) {
            Map<String, Object> row = peerRow(p);
            String listen = (String) row.get("listen_address");
            sb.append(
                    String.format(
                            "%-16s %-9s %-8s %-21s %-36s %-8s %d/%d, %s%n",
                            escape((String) row.get("peer")),
                            p.access(),
                            row.get("direction").equals("outbound") ? "out" : "in",
                            escape(listen == null ? "-" : listen),
                            row.get("suite"),
                            AUTH_LABELS.get((String) row.get("signature")),
                            (long) row.get("send_epoch"),
                            (long) row.get("receive_epoch"),
                            Words.count((long) row.get("rekeys"), "rekey")));
            rows.add(row);
        }
        out.block("peers", sb.toString().stripTrailing(), "peers", rows);
    }

    /**
     * One row of {@code /peers --json} (and of the web page's peer list): name, ids, access,
     * direction, addresses, suite, key epochs. Reads only what the node holds in memory.
     */
    public static Map<String, Object> peerRow(NodePeer p) {
        SecureSession s = p.session();
        SessionStats st = s.stats();
        Optional<IdentityRecord> rec = p.identity();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("peer", ChatNode.label(rec.orElse(null), p.keyId()));
        row.put("key_id", p.keyId().toHex());
        rec.ifPresent(r -> row.put("identity_id", r.id().toHex()));
        row.put("access", p.access().name());
        row.put("direction", p.localRole().name().equals("INITIATOR") ? "outbound" : "inbound");
        row.put("address", ChatEvents.address(p.remoteAddress()));
        // Where it listens (for a peer that dialled us, not the ephemeral port it came from).
        row.put("listen_address", ChatEvents.listenAddress(p));
        row.put("suite", s.cipherSuite().name());
        row.put("signature", ChatEvents.signature(s));
        row.put("send_epoch", st.sendEpoch());
        row.put("receive_epoch", st.receiveEpoch());
        row.put("rekeys", st.rekeys());
        return row;
    }

    private void rotate(Command.Rotate command) throws CommandError, InterruptedException {
        String target = command.target();
        boolean rekey = command.rekey();
        IdentityRecord rec = t.lookup(target);
        NodePeer p =
                chatNode.chat()
                        .peerOf(rec.id())
                        .orElseThrow(
                                () ->
                                        new CommandError(
                                                "not connected to "
                                                        + t.label(rec)
                                                        + ": /connect "
                                                        + t.label(rec)
                                                        + " first"));
        SecureSession s = p.session();
        SessionStats before = s.stats();
        Future<Void> f = rekey ? s.rekey() : s.rotateKeys(true);
        if (!f.await(Targets.COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new CommandError("the key change did not complete in time");
        }
        if (!f.isSuccess()) {
            throw new CommandError("the key change failed: " + f.cause().getMessage());
        }
        SessionStats after = s.stats();
        String text =
                rekey
                        ? "rekeyed with "
                                + t.shown(rec)
                                + ": a fresh ephemeral exchange inside the channel; both"
                                + " directions use new keys (your outbound epoch "
                                + before.sendEpoch()
                                + " -> "
                                + after.sendEpoch()
                                + ")"
                        : "rotated keys with "
                                + t.shown(rec)
                                + ": your outbound key moved to epoch "
                                + after.sendEpoch()
                                + " (the old one is erased), and asked "
                                + t.shown(rec)
                                + " to rotate theirs";
        out.event(
                "rotated",
                text,
                "peer",
                t.label(rec),
                "kind",
                rekey ? "rekey" : "key_update",
                "send_epoch",
                after.sendEpoch(),
                "receive_epoch",
                after.receiveEpoch());
    }

    private void ledger(boolean json) {
        Map<String, Object> status = status();
        Ledger l = chatNode.ledger();
        ChainTip tip = l.tip();
        out.record(
                "ledger",
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
                        + (l.miner().isRunning() ? "mining" : "not mining"),
                status,
                json);
    }

    /** The status fields of {@code /ledger --json}. */
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
}
