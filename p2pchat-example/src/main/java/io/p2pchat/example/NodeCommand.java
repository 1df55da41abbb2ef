package io.p2pchat.example;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.chat.HistoryKey;
import io.p2pchat.example.chat.HistoryMigration;
import io.p2pchat.example.command.IdentityCommands;
import io.p2pchat.example.command.LifecycleEvents;
import io.p2pchat.example.console.Console;
import io.p2pchat.example.console.Output;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.EventBus;
import io.p2pchat.example.home.CredentialFile;
import io.p2pchat.example.home.Home;
import io.p2pchat.example.home.HomePermissions;
import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.home.Passphrases;
import io.p2pchat.example.home.TicketFile;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.node.Departure;
import io.p2pchat.example.node.HostPort;
import io.p2pchat.example.node.IdentityLifecycle;
import io.p2pchat.example.node.Joining;
import io.p2pchat.example.node.Registration;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.example.text.Words;
import io.p2pchat.example.web.WebUi;
import io.p2pchat.example.web.WebUiServer;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.StoredIdentity;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.NetworkParameters;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code p2pchat node}: runs a node with its console.
 *
 * <ol>
 *   <li>makes the home private if it is not, loads the identity and the key of the chat history
 *       kept in it (converting an earlier version's history, see {@link HistoryMigration});
 *   <li>finds the network: the one stored in the home, a new one ({@code --genesis}), or the one of
 *       the member given with {@code --join}, whose parameters it fetches over the secure channel
 *       (docs/ledger.md §11.7);
 *   <li>opens the ledger, listens, joins, mines when there is something to confirm;
 *   <li>registers the identity and its name if needed, with a progress bar;
 *   <li>runs the console until /quit (or the end of the input, for scripts).
 * </ol>
 *
 * <p>Threading: the command's thread runs all of this; the shutdown hook cancels the joining and
 * prints the last line; everything else the node reports goes through the {@link
 * io.p2pchat.example.event.EventBus} to the console's {@link Output}, which the bus calls on its
 * own thread.
 *
 * <p>Size: about 700 lines, of which some 150 are the picocli options with their help texts (the
 * {@code --help} a person reads); the steps above each have a method of their own, and the
 * progress, leaving and web UI parts live in their own classes.
 */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Run a node: start or join a ledger network, register your identity, and chat.",
            "",
            "Examples:",
            "  p2pchat node --home alice --listen 127.0.0.1:7000 --genesis",
            "  p2pchat node --home bob --listen 127.0.0.1:7001 --join 127.0.0.1:7000"
        })
final class NodeCommand implements Callable<Integer> {
    @ParentCommand P2pChat parent;

    @Option(names = "--home", required = true, description = "Home directory (from p2pchat init).")
    Path home;

    @Option(
            names = "--listen",
            paramLabel = "HOST:PORT",
            description =
                    "Where to accept connections (default: as last time, else 127.0.0.1:7000)."
                            + " Use 0.0.0.0:PORT to accept other machines.")
    String listen;

    @Option(
            names = "--advertise",
            paramLabel = "HOST:PORT",
            description =
                    "The address others reach you at, registered on the ledger (default: the"
                            + " listen address; this machine's LAN address for 0.0.0.0).")
    String advertise;

    @Option(
            names = "--join",
            paramLabel = "HOST:PORT",
            description = "Join the network through any member's address (repeatable).")
    List<String> join = new ArrayList<>();

    @Option(names = "--genesis", description = "Start a new ledger network in this home.")
    boolean genesis;

    @Option(
            names = "--network-name",
            paramLabel = "NAME",
            defaultValue = "p2pchat",
            description = "With --genesis: the new network's name (default ${DEFAULT-VALUE}).")
    String networkName;

    @Option(
            names = "--difficulty",
            paramLabel = "normal|trivial",
            defaultValue = "normal",
            description =
                    "With --genesis: proof-of-work cost. 'trivial' makes blocks free (tests and"
                            + " demos only: anyone can rewrite such a ledger).")
    String difficulty;

    @Option(
            names = "--network-id",
            paramLabel = "HEX",
            description =
                    "With --join on a new home: the network id you were given; the member must"
                            + " be on that network.")
    String networkId;

    @Option(names = "--json", description = "Print events as JSON lines (for programs).")
    boolean json;

    @Option(
            names = "--passphrase-file",
            paramLabel = "FILE",
            description =
                    "Read the passphrase from this file (else $P2PCHAT_PASSPHRASE, else a prompt).")
    Path passphraseFile;

    @Option(names = "--no-mine", description = "Do not mine (other nodes must).")
    boolean noMine;

    @Option(
            names = "--keep-running",
            description =
                    "When standard input is not a terminal and ends, keep running until /quit"
                            + " arrives, or SIGTERM (for background nodes).")
    boolean keepRunning;

    @Option(
            names = "--ui",
            paramLabel = "[HOST:]PORT",
            description =
                    "Also serve a web UI at this address (default host 127.0.0.1; port 0: any"
                            + " free one) and print the URL to open, with its secret token. From"
                            + " another machine use an SSH tunnel: ssh -L PORT:127.0.0.1:PORT"
                            + " this-host.")
    String ui;

    @Option(
            names = "--ui-allow-remote",
            description =
                    "Allow a --ui host that is not a loopback address. Risky: anyone on that"
                            + " network can reach the page, and the token travels in clear HTTP.")
    boolean uiAllowRemote;

    @Option(
            names = "--open",
            description = "With --ui: open the page in a browser, if one is installed.")
    boolean open;

    @Option(
            names = "--no-delegated-credentials",
            description =
                    "Sign every handshake with the RSA identity key, as before delegated"
                            + " credentials (default: a short-lived Ed25519 credential, kept"
                            + " encrypted in HOME/credential.key, signs them when the peer"
                            + " supports it).")
    boolean noDelegatedCredentials;

    @Option(
            names = "--retry-delays",
            hidden = true,
            paramLabel = "MIN_MS,MAX_MS",
            defaultValue = "1000,60000",
            description = "Backoff of the attempts to reach the network (tests).")
    String retryDelays;

    @Override
    public Integer call() throws Exception {
        PrintStream stdout = parent.out();
        Home h = new Home(home);
        HostPort bind = HostPort.parse("--listen", resolveListen(h));
        if (genesis && !join.isEmpty()) {
            throw UserError.usage(
                    "--genesis starts a new network and --join joins an existing one: choose one.");
        }
        if (!difficulty.equals("normal") && !difficulty.equals("trivial")) {
            throw UserError.usage("--difficulty is 'normal' or 'trivial'.");
        }
        byte[] expectedId = parseNetworkId();
        uiAddress = ui == null ? null : WebUi.Address.parse(ui, uiAllowRemote);
        if (open && ui == null) {
            throw UserError.usage("--open opens the web UI: add --ui PORT.");
        }
        h.requireIdentity();
        h.requireNotRevoked();
        String name = h.name().toLowerCase(Locale.ROOT);

        boolean interactive =
                !json
                        && parent.in() == System.in
                        && System.console() != null
                        && stdout == System.out;
        Output view =
                new Output(
                        json
                                ? Output.Mode.JSON
                                : interactive ? Output.Mode.TERMINAL : Output.Mode.PLAIN,
                        stdout);
        // Everything the node reports goes through the bus to its views: the console (this
        // output) and, with issue 13, a web page.
        EventBus out = new EventBus();
        out.subscribe("console", view);

        HomePermissions.tighten(h.dir()).ifPresent(out::info);
        char[] passphrase = Passphrases.read(passphraseFile, false);
        HistoryMigration migration;
        StoredIdentity unlocked;
        KeyFiles files = new KeyFiles(h, IdentityStore.create());
        KeyFiles.Pending pending;
        try {
            // Before the identity's load wipes the passphrase: an earlier version's history is
            // keyed by it, and the keys of an unfinished rotation are under it too.
            migration = HistoryMigration.prepare(h.history(), passphrase);
            unlocked = openIdentity(h, passphrase.clone());
            pending = files.loadPending(passphrase);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        LocalIdentity identity = unlocked.identity();
        HistoryKey historyKey = HistoryKey.of(unlocked.storageRoot());
        ContactStore contacts;
        CredentialFile credentials;
        TicketFile tickets;
        try {
            contacts = openContacts(h, unlocked);
            credentials = CredentialFile.of(h.credentialKey(), unlocked.storageRoot(), out::info);
            tickets = TicketFile.of(h.tickets(), unlocked.storageRoot(), out::info);
        } finally {
            unlocked.destroy();
        }
        if (unlocked.rootCreated()) {
            out.info(
                    "note: your identity file now also holds the random key of your chat history"
                            + " (same passphrase)");
        }
        java.util.function.Consumer<SecureChannelContext.Builder> channel =
                c -> channelOptions(c, credentials, tickets);
        Joining joining = new Joining(h, out, identity, joiningOptions(expectedId));
        AtomicReference<KeyFiles.Decision> keys = new AtomicReference<>();
        ChatEvents events = new ChatEvents(out);
        // While the node finds or joins its network, Ctrl-C stops it with one line saying what
        // was written (and removes what this run created); later, it closes the node.
        AtomicReference<ChatNode> running = new AtomicReference<>();
        Thread hook =
                new Thread(
                        () -> {
                            joining.cancel();
                            closeUi();
                            ChatNode c = running.get();
                            if (c != null) {
                                if (registering) {
                                    stoppedRegistering(out, view, h, c);
                                }
                                stop(c, h, tickets, out);
                            }
                            flush(out);
                        },
                        "p2pchat-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ChatNode chatNode =
                    joining.open(
                            bind,
                            name,
                            ledger -> {
                                // The open ledger holds the home's lock: no other node
                                // converts the same history at once.
                                migration.run(historyKey).forEach(out::info);
                                // A key rotation cut short is finished or undone, from what
                                // the ledger holds.
                                KeyFiles.Decision d = files.reconcile(identity, pending, ledger);
                                keys.set(d);
                                if (d.message() != null) {
                                    out.info(d.message());
                                }
                                ChatNode started =
                                        ChatNode.start(
                                                d.signing(),
                                                name,
                                                ledger,
                                                bind.host(),
                                                bind.port(),
                                                h.history(),
                                                historyKey,
                                                contacts,
                                                events,
                                                b -> b.listener(events).channel(channel));
                                started.node().rotateKey(d.key());
                                return started;
                            });
            if (chatNode == null) {
                return ExitCode.INTERRUPTED.code();
            }
            running.set(chatNode);
            if (listen != null) {
                h.set("listen", listen);
            }
            return run(
                    chatNode,
                    h,
                    bind,
                    joining,
                    out,
                    view,
                    events,
                    contacts,
                    interactive,
                    keys.get());
        } finally {
            closeUi();
            flush(out);
            ChatNode c = running.get();
            if (c != null) {
                stop(c, h, tickets, out);
            }
            contacts.close();
            credentials.close();
            tickets.close();
            removeHook(hook);
        }
    }

    /**
     * Delegated credentials: kept in the home's credential file, or off with {@code
     * --no-delegated-credentials}. Resumption tickets: kept in the home's ticket file from a clean
     * stop to the next start.
     */
    private void channelOptions(
            SecureChannelContext.Builder c, CredentialFile credentials, TicketFile tickets) {
        if (noDelegatedCredentials) {
            c.delegatedCredentials(false);
        } else {
            c.delegatedCredentialStore(credentials);
        }
        c.resumptionTicketStore(tickets);
    }

    /** Set once the node was stopped (by the normal end or by the shutdown hook). */
    private boolean stopped;

    /**
     * Stops the node once (the shutdown hook and the normal end may both ask; the second waits for
     * the first), then, this being a clean stop, saves its resumption tickets in HOME/tickets.dat
     * for the next start: not for a revoked identity, whose tickets are worthless.
     */
    private synchronized void stop(ChatNode c, Home h, TicketFile tickets, EventBus out) {
        if (stopped) {
            return;
        }
        stopped = true;
        c.close();
        try {
            if (h.revokedAt().isEmpty()) {
                c.node().context().saveResumptionTickets();
            }
        } catch (java.io.IOException | RuntimeException e) {
            out.info(
                    "note: the resumption tickets could not be saved ("
                            + e.getMessage()
                            + "); the next start reconnects with full handshakes");
        }
    }

    /** The home's contacts, under a key derived from the identity file's storage root. */
    private static ContactStore openContacts(Home h, StoredIdentity unlocked) {
        try {
            return ContactStore.open(h.contacts(), unlocked.storageRoot());
        } catch (ContactStore.DamagedException e) {
            throw new UserError(
                    e.getMessage()
                            + ". Move it away to start without remembered contacts (you lose the"
                            + " warnings about their names and keys until you talk with them"
                            + " again).",
                    ExitCode.CORRUPT_DATA,
                    e);
        } catch (java.io.IOException e) {
            throw new UserError(Explain.fileProblem("Cannot read " + h.contacts(), e), e);
        }
    }

    /** Where --ui serves, checked before anything starts. */
    private WebUi.Address uiAddress;

    /** The web UI and its backend, while they run (--ui). */
    private final AtomicReference<WebUi> webUi = new AtomicReference<>();

    private void closeUi() {
        WebUi w = webUi.getAndSet(null);
        if (w != null) {
            w.close();
        }
    }

    /** Set while the node registers (and mines): Ctrl-C then says what was saved. */
    private volatile boolean registering;

    /**
     * Ctrl-C or SIGTERM while registering: one line, on a fresh line, saying what is kept and how
     * to go on; the output stops there (the registration fails under the closing node, silently).
     */
    private static void stoppedRegistering(EventBus bus, Output out, Home h, ChatNode c) {
        long height = c.ledger().tip().height();
        flush(bus);
        out.finish(
                "stopped",
                "stopped while registering: the ledger so far (height "
                        + height
                        + ") and your name's commitment are saved in "
                        + h.dir()
                        + "; run the same command again to finish the registration",
                "stage",
                "registration",
                "home",
                h.dir().toString(),
                "height",
                height);
    }

    /** Lets the views show what was published (at most 5 s: a stuck terminal does not hold us). */
    private static void flush(EventBus bus) {
        try {
            bus.flush(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
    }

    private Joining.Options joiningOptions(byte[] expectedId) {
        String[] d = retryDelays.split(",");
        if (d.length != 2
                || !d[0].strip().matches("[0-9]{1,7}")
                || !d[1].strip().matches("[0-9]{1,7}")) {
            throw UserError.usage("--retry-delays is MIN_MS,MAX_MS.");
        }
        return new Joining.Options(
                genesis,
                networkName,
                difficulty.equals("trivial"),
                expectedId,
                List.copyOf(join),
                Duration.ofMillis(Long.parseLong(d[0].strip())),
                Duration.ofMillis(Long.parseLong(d[1].strip())));
    }

    private int run(
            ChatNode chatNode,
            Home h,
            HostPort bind,
            Joining joining,
            EventBus out,
            Output view,
            ChatEvents events,
            ContactStore contacts,
            boolean interactive,
            KeyFiles.Decision keys)
            throws Exception {
        LocalIdentity identity = chatNode.identity();
        Ledger ledger = chatNode.ledger();
        NetworkParameters params = ledger.parameters();
        InetSocketAddress local = chatNode.address();
        String localText = local.getHostString() + ":" + local.getPort();
        out.event(
                "started",
                "p2pchat node '"
                        + escape(chatNode.name())
                        + "' (peer id "
                        + identity.peerId().shortId()
                        + ") listening on "
                        + escape(localText)
                        + "\n  network '"
                        + escape(params.name())
                        + "' ("
                        + params.networkIdHex().substring(0, 16)
                        + "), ledger height "
                        + ledger.tip().height()
                        + ", "
                        + Words.count(ledger.identityCount(), "identity", "identities"),
                "name",
                chatNode.name(),
                "peer_id",
                identity.peerId().toHex(),
                "listen",
                localText,
                "network",
                params.name(),
                "network_id",
                params.networkIdHex(),
                "height",
                ledger.tip().height());

        if (ui != null) {
            WebUi w = WebUi.start(uiAddress, chatNode, out, events, contacts);
            webUi.set(w);
            // The URL holds the page's secret token: to the person only, never to a log or to
            // the bus (pages are on it).
            flush(out);
            view.event("ui", "web UI: open " + w.url(), "url", w.url());
            if (w.remote()) {
                view.info(WebUiServer.NON_LOOPBACK_WARNING);
            }
            if (open) {
                WebUi.openBrowser(w.url());
            }
        }

        // Join: a node that never synced with its network waits for that before it mines or
        // registers (only --genesis starts a chain alone).
        if (!joining.awaitNetwork(chatNode)) {
            return ExitCode.INTERRUPTED.code();
        }
        if (!noMine) {
            ledger.miner().start();
        }
        IdentityLifecycle lifecycle =
                new IdentityLifecycle(
                        chatNode.node(),
                        h,
                        IdentityStore.create(),
                        keys.signing(),
                        keys.pendingNext());
        if (keys.pendingNext() != null) {
            try {
                lifecycle.finishRotation(
                        new LifecycleEvents(out, view.mode() == Output.Mode.TERMINAL));
            } catch (UserError e) {
                out.error(e.getMessage());
            }
        }

        // Register.
        HostPort adv = advertised(bind, local);
        Registration reg =
                new Registration(
                        chatNode.node(),
                        chatNode.name(),
                        adv.host(),
                        adv.port(),
                        new Registration.SaltStore() {
                            @Override
                            public byte[] load() {
                                String hex = h.load().getProperty("name.salt");
                                return hex == null ? null : HexFormat.of().parseHex(hex);
                            }

                            @Override
                            public void store(byte[] salt) {
                                h.set("name.salt", HexFormat.of().formatHex(salt));
                            }
                        },
                        out::progress); // the views shape it: a bar, a line per change, a
        // page's bar
        registering = true;
        IdentityRecord me;
        try {
            me = reg.run(Duration.ofDays(365));
        } finally {
            registering = false;
        }
        if (reg.note() != null) {
            out.info(reg.note());
        }
        Console console = new Console(chatNode, view, out, events);
        console.identityCommands(
                new IdentityCommands(
                        chatNode, out, lifecycle, () -> Passphrases.read(passphraseFile, false)));
        WebUi w = webUi.get();
        if (w != null) {
            // A revocation from the page stops the node as the console's does: the shutdown hook
            // closes the page and the node.
            w.backend()
                    .identityCommands(
                            lifecycle,
                            () -> {
                                out.event("bye", "bye", "name", chatNode.name());
                                flush(out);
                                System.exit(ExitCode.OK.code());
                            });
        }
        out.event(
                "ready",
                "ready: "
                        + me.displayName().map(n -> "'" + escape(n) + "'").orElse("you")
                        + " can chat. Others reach you, and join the network, at "
                        + escape(adv.toString())
                        + ". Type /help for the commands.",
                "name",
                me.displayName().orElse(null),
                "identity_id",
                me.id().toHex(),
                "address",
                adv.toString(),
                "height",
                ledger.tip().height());
        if (interactive) {
            console.runInteractive();
            out.event("bye", "bye", "name", chatNode.name());
            return ExitCode.OK.code();
        }
        boolean eof = console.runScripted(parent.in());
        if (eof && keepRunning) {
            out.info("standard input ended; running until SIGTERM (--keep-running)");
            Thread.currentThread().join();
        }
        // A script learns from the exit status whether everything it asked for was done.
        int undelivered =
                eof
                        ? Departure.awaitDelivery(chatNode, out)
                        : Departure.awaitAcknowledgements(chatNode);
        if (undelivered > 0) {
            out.info(
                    "leaving with "
                            + Words.count(undelivered, "undelivered message")
                            + ": they are sent when this node runs again");
        }
        out.event(
                "bye",
                "bye",
                "name",
                chatNode.name(),
                "failed_commands",
                console.anyCommandFailed(),
                "undelivered",
                undelivered);
        if (console.anyCommandFailed()) {
            return ExitCode.USER_ERROR.code();
        }
        return undelivered > 0 ? ExitCode.UNDELIVERED.code() : ExitCode.OK.code();
    }

    private String resolveListen(Home h) {
        if (listen != null) {
            return listen;
        }
        String stored = Files.exists(h.properties()) ? h.load().getProperty("listen") : null;
        return stored != null ? stored : "127.0.0.1:7000";
    }

    private byte[] parseNetworkId() {
        if (networkId == null) {
            return null;
        }
        String hex = networkId.strip().toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw UserError.usage(
                    "--network-id is 64 hex digits (the id shown by the network's nodes).");
        }
        return HexFormat.of().parseHex(hex);
    }

    private static StoredIdentity openIdentity(Home h, char[] passphrase) {
        try {
            return IdentityStore.create().open(h.identity(), passphrase);
        } catch (IdentityStoreException e) {
            switch (e.reason()) {
                case WRONG_PASSPHRASE_OR_TAMPERED:
                    throw new UserError(
                            "Wrong passphrase for the identity in "
                                    + h.dir()
                                    + " (or the file was altered).",
                            e);
                case NOT_FOUND:
                    throw new UserError(
                            "No identity in "
                                    + h.dir()
                                    + ". Create one with: "
                                    + Program.command()
                                    + " init --home "
                                    + h.dir()
                                    + " --name NAME",
                            e);
                case INSECURE_PERMISSIONS:
                    throw new UserError(
                            "The identity file "
                                    + h.identity()
                                    + " is readable by others; protect it with: chmod 600 "
                                    + h.identity(),
                            e);
                case IO_ERROR:
                    throw new UserError(
                            Explain.fileProblem("Cannot read the identity in " + h.dir(), e), e);
                default:
                    throw new UserError(
                            "The identity file "
                                    + h.identity()
                                    + " cannot be used ("
                                    + escape(e.getMessage())
                                    + "): restore it from a backup.",
                            ExitCode.CORRUPT_DATA,
                            e);
            }
        }
    }

    /** The registered address: --advertise, else the listen address (a LAN one for 0.0.0.0). */
    private HostPort advertised(HostPort bind, InetSocketAddress local) {
        if (advertise != null) {
            return HostPort.parse("--advertise", advertise);
        }
        String host = bind.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = lanAddress().orElse("127.0.0.1");
        }
        return new HostPort(host, local.getPort());
    }

    private static Optional<String> lanAddress() {
        try {
            for (NetworkInterface ni :
                    java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : java.util.Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address && a.isSiteLocalAddress()) {
                        return Optional.of(a.getHostAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // fall through
        }
        return Optional.empty();
    }
}
