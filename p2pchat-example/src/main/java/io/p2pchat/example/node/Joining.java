package io.p2pchat.example.node;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.channel.AlertCode;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerAlertException;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.home.Home;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.example.text.Words;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.LedgerStorageException;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.OpenReport;
import io.p2pchat.node.Node;
import io.p2pchat.node.NodePeer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * How the {@code node} command finds its network and joins it (docs/ledger.md §11.7; issue 10.4).
 *
 * <ol>
 *   <li>{@link #open}: on a home without a network, checks that the listen address can be bound
 *       before anything is written; with {@code --join}, fetches and checks the network parameters,
 *       retrying with backoff while no member answers; only then creates the ledger and starts the
 *       node. If the node cannot start, what this run created is removed.
 *   <li>{@link #awaitNetwork}: a home that has never synced waits, retrying with backoff, until it
 *       has synced from a member ({@link Node#synced()}); only then are the join addresses and the
 *       state {@code joined} stored, and the caller may mine, register and say ready. A home that
 *       has synced before (or was created with {@code --genesis}) waits a little for a member and
 *       then starts with its own copy, retrying in the background.
 * </ol>
 *
 * The state of the home is the property {@value #STATE} of node.properties: {@code genesis} (this
 * home started its network), {@code joining} (the ledger was created from fetched parameters and
 * has not synced yet) or {@code joined}. A home written before this property existed starts as
 * {@code joined} does, unless it has join addresses and nothing but the genesis block (an older
 * version stored the join address before the first sync): that one waits as {@code joining}. Ctrl-C
 * (or SIGTERM) while waiting stops the node with one line saying what was written; the shutdown
 * hook calls {@link #cancel}.
 *
 * <p>Size: over 600 lines because joining is one state machine (stored network, new network, first
 * sync, restart sync, retry, rollback) whose steps share the home's state and the cleanup on
 * Ctrl-C; the backoff is apart ({@link Backoff}).
 *
 * <p>Threading: {@link #open} and {@link #awaitNetwork} run on the node command's thread, which
 * alone owns the fields ({@code fresh}, {@code createdLedger}, {@code legacy}); {@link #cancel}
 * comes from the shutdown hook and only completes the {@code cancelled} future, which the waits
 * observe. Output goes to an {@link io.p2pchat.example.event.EventSink}, which never blocks.
 */
public final class Joining {
    /** The property of node.properties that holds the state of the home's network. */
    static final String STATE = "network.state";

    /** The property of node.properties that holds the join addresses (after the first sync). */
    static final String JOIN = "join";

    static final String GENESIS = "genesis";
    static final String JOINING = "joining";
    static final String JOINED = "joined";

    /** How long one fetch of the parameters, or one connection, may take. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(15);

    /**
     * How long a home that has synced before waits for a member before it starts with its copy, in
     * first retry delays: 15 s by default.
     */
    private static final int RESTART_WAIT_DELAYS = 15;

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** What the command line asked for. */
    public record Options(
            boolean genesis,
            String networkName,
            boolean trivialDifficulty,
            byte @Nullable [] expectedNetworkId,
            List<String> join,
            Duration retryMin,
            Duration retryMax) {}

    private final Home home;
    private final EventSink out;
    private final LocalIdentity identity;
    private final Options options;

    /** node.properties as it was before this run wrote anything (for a rollback). */
    private final Properties before;

    /** The members to join: --join, else the stored join addresses (none with --genesis). */
    private final List<InetSocketAddress> members = new ArrayList<>();

    private final CompletableFuture<Void> cancelled = new CompletableFuture<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean active = true;

    /** The home had no network when this run started. */
    private boolean fresh;

    /** This run created the ledger directory (it is removed if the node cannot join). */
    private boolean createdLedger;

    /** The home has a network but no {@value #STATE} (it was written by an older version). */
    private boolean legacy;

    /** The state of the home's network once {@link #open} found or made it. */
    private String state = JOINED;

    public Joining(Home home, EventSink out, LocalIdentity identity, Options options) {
        this.home = home;
        this.out = out;
        this.identity = identity;
        this.options = options;
        this.before = home.load();
        for (String j : options.join()) {
            members.add(HostPort.parse("--join", j).socketAddress());
        }
    }

    /** Opens a ledger and starts a node over it (the node owns the ledger then). */
    public interface Starter {
        ChatNode start(Ledger ledger);
    }

    /**
     * Finds or fetches the network, opens the ledger and starts the node.
     *
     * @return the started node, or null when the person stopped it while it waited (a line saying
     *     what was written has been printed)
     * @throws UserError when it cannot start; nothing this run created is left behind
     */
    public @Nullable ChatNode open(HostPort bind, String name, Starter starter)
            throws IOException, InterruptedException {
        fresh = !Files.exists(home.networkParameters());
        NetworkParameters params;
        boolean ok = false;
        try {
            if (fresh) {
                checkBindable(bind);
            }
            params = fresh ? newNetwork() : storedNetwork();
            ok = true;
        } catch (Cancelled e) {
            stopped();
            return null;
        } finally {
            if (!ok) {
                finish();
            }
        }
        try {
            if (fresh) {
                state = options.genesis() ? GENESIS : JOINING;
                home.set(STATE, state); // first: a crash from here on leaves a recognisable home
                createdLedger = true;
            }
            Ledger ledger;
            try {
                ledger = Ledger.builder(params).dataDirectory(home.ledger()).name(name).open();
            } catch (LedgerStorageException e) {
                throw new UserError(
                        Explain.ledgerOpenFailure(home.dir(), e, true),
                        Explain.ledgerOpenExitCode(e),
                        e);
            }
            if (ledger.openReport().truncatedBytes() > 0) {
                out.info(
                        "note: the ledger's last block was cut short by a crash and removed ("
                                + ledger.openReport().truncatedBytes()
                                + " bytes); it is fetched again from peers");
            }
            for (OpenReport.RejectedBlock r : ledger.openReport().rejectedBlocks()) {
                // A block written into the store by hand, or one ahead of a clock set back.
                out.info("note: the ledger holds a block it does not use: " + r.describe());
            }
            return starter.start(ledger);
        } catch (RuntimeException e) {
            rollback(null);
            finish();
            throw e;
        }
    }

    /**
     * Joins the members: a home that has never synced waits until it has synced from one (retrying
     * with backoff, printing each attempt); others wait at most 15 s and go on.
     *
     * @return false when the person stopped the node while it waited (a line saying what was
     *     written has been printed, and what this run created is removed)
     */
    public boolean awaitNetwork(ChatNode node) throws InterruptedException {
        try {
            if (legacy && !members.isEmpty() && node.ledger().tip().height() == 0) {
                // An older version stored the join address before it had synced: a ledger of
                // nothing but the genesis block may never have synced.
                state = JOINING;
            }
            if (state.equals(JOINING)) {
                firstSync(node.node());
            } else if (!members.isEmpty()) {
                restartSync(node.node());
            }
            if (cancelled.isDone()) {
                throw new Cancelled();
            }
            return true;
        } catch (Cancelled e) {
            rollback(node);
            stopped();
            return false;
        } catch (RuntimeException e) {
            rollback(node);
            throw e;
        } finally {
            finish();
        }
    }

    /**
     * Called by the shutdown hook: a node still finding or joining its network stops waiting, and
     * this returns once it has cleaned up and said so (at most 10 s).
     */
    public void cancel() {
        if (!active) {
            return;
        }
        cancelled.complete(null);
        try {
            done.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void finish() {
        active = false;
        done.countDown();
    }

    /** The person stopped the node while it waited. */
    private static final class Cancelled extends Exception {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("stopped", null, false, false);
        }
    }

    // ------------------------------------------------------------------ the parameters

    /** A port in use is reported before anything is written to the home. */
    private static void checkBindable(HostPort bind) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bind.host(), bind.port()));
        } catch (IOException | RuntimeException e) {
            throw new UserError(
                    Explain.bindFailure(bind.toString(), e)
                            + " No network was written to the home.",
                    e);
        }
    }

    private NetworkParameters storedNetwork() throws IOException {
        Path file = home.networkParameters();
        NetworkParameters p;
        try {
            p = NetworkParameters.decode(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new UserError(
                    file
                            + " is damaged ("
                            + escape(e.getMessage())
                            + "): move the home's ledger directory away and join the network"
                            + " again.",
                    ExitCode.CORRUPT_DATA,
                    e);
        }
        if (options.genesis()) {
            throw new UserError(
                    home.dir()
                            + " already belongs to the network '"
                            + escape(p.name())
                            + "' ("
                            + p.networkIdHex().substring(0, 16)
                            + "): drop --genesis (or use a new home for a new network).");
        }
        byte[] expected = options.expectedNetworkId();
        if (expected != null && !Arrays.equals(expected, p.networkId())) {
            throw new UserError(
                    home.dir()
                            + " belongs to the network "
                            + p.networkIdHex()
                            + ", not to the --network-id given.");
        }
        Properties props = home.load();
        legacy = props.getProperty(STATE) == null;
        state = props.getProperty(STATE, JOINED);
        if (members.isEmpty() && !state.equals(GENESIS)) {
            // A restart reconnects through the members it joined through last time.
            for (String j : props.getProperty(JOIN, "").split(",")) {
                if (!j.isBlank()) {
                    members.add(HostPort.parse(JOIN, j).socketAddress());
                }
            }
        }
        if (state.equals(JOINING) && members.isEmpty()) {
            throw new UserError(
                    home.dir()
                            + " has not finished joining its network (it never synced with a"
                            + " member): run it again with --join HOST:PORT, any member's"
                            + " address.");
        }
        return p;
    }

    /** A new network (--genesis) or the one of the members (--join); null if stopped. */
    private @Nullable NetworkParameters newNetwork() throws Cancelled, InterruptedException {
        if (options.genesis()) {
            return genesis();
        }
        if (members.isEmpty()) {
            throw new UserError(
                    home.dir()
                            + " has no network yet. Start one with --genesis, or join one with"
                            + " --join HOST:PORT (any member's address): "
                            + Program.command()
                            + " node --home "
                            + home.dir()
                            + " --listen HOST:PORT --join HOST:PORT");
        }
        Backoff backoff = new Backoff(options.retryMin(), options.retryMax());
        for (String m : targets()) {
            out.info("fetching the network parameters from " + m + " ...");
        }
        while (true) {
            List<Failure> failures = new ArrayList<>();
            for (InetSocketAddress m : members) {
                String target = text(m);
                CompletableFuture<NetworkParameters> f =
                        Node.fetchNetworkParameters(
                                identity, m, options.expectedNetworkId(), ATTEMPT_TIMEOUT);
                try {
                    NetworkParameters p = await(f, ATTEMPT_TIMEOUT.plusSeconds(5));
                    out.event(
                            "network",
                            "network '"
                                    + escape(p.name())
                                    + "' (id "
                                    + p.networkIdHex()
                                    + "), created "
                                    + Instant.ofEpochMilli(p.genesisTimeMillis())
                                    + ": parameters verified against the network id that the"
                                    + " member at "
                                    + target
                                    + " signed in its handshake",
                            "network",
                            p.name(),
                            "network_id",
                            p.networkIdHex());
                    return p;
                } catch (ExecutionException | TimeoutException e) {
                    f.cancel(false);
                    if (fatal(e)) {
                        throw new UserError(parametersFailure(target, e), Explain.unwrap(e));
                    }
                    failures.add(new Failure(target, Explain.connectFailure(target, e)));
                }
            }
            retryLater("parameters", failures, backoff, null);
        }
    }

    private String parametersFailure(String target, Throwable e) {
        String auth = Explain.authentication(e);
        String reason =
                auth != null && options.expectedNetworkId() != null
                        ? "The member at "
                                + target
                                + " is not on the network --network-id names: "
                                + escape(Explain.unwrap(e).getMessage())
                        : "Cannot get the network parameters: " + Explain.connectFailure(target, e);
        return sentence(reason) + " No network was written to " + home.dir() + ".";
    }

    private NetworkParameters genesis() {
        NetworkParameters.Builder b =
                NetworkParameters.builder()
                        .name(options.networkName())
                        .genesisTimeMillis(System.currentTimeMillis());
        if (options.trivialDifficulty()) {
            // Free blocks; the 1 ms interval keeps retargeting from raising the cost.
            b.trivialDifficulty().targetBlockInterval(Duration.ofMillis(1));
        }
        NetworkParameters p;
        try {
            p = b.build();
        } catch (IllegalArgumentException e) {
            throw new UserError("--network-name: " + e.getMessage(), ExitCode.USAGE, e);
        }
        out.event(
                "genesis",
                "Created a new network '"
                        + escape(p.name())
                        + "' (id "
                        + p.networkIdHex()
                        + (options.trivialDifficulty() ? ", trivial difficulty" : "")
                        + ").",
                "network",
                p.name(),
                "network_id",
                p.networkIdHex());
        return p;
    }

    // ------------------------------------------------------------------ the first sync

    /** Waits, retrying with backoff, until the node has synced from a member. */
    private void firstSync(Node node) throws Cancelled, InterruptedException {
        CompletableFuture<PeerId> synced = node.synced();
        Backoff backoff = new Backoff(options.retryMin(), options.retryMax());
        for (String m : targets()) {
            out.info("joining the network through " + m + " ...");
        }
        while (!synced.isDone()) {
            List<Failure> failures = new ArrayList<>();
            for (InetSocketAddress m : members) {
                if (synced.isDone()) {
                    break;
                }
                String target = text(m);
                CompletableFuture<NodePeer> c = node.connect(m);
                NodePeer peer;
                try {
                    peer = await(c, ATTEMPT_TIMEOUT);
                } catch (ExecutionException | TimeoutException e) {
                    if (fatal(e)) {
                        throw new UserError(
                                "Cannot join the network: "
                                        + sentence(Explain.connectFailure(target, e))
                                        + " "
                                        + rollbackNote(),
                                Explain.unwrap(e));
                    }
                    failures.add(new Failure(target, Explain.connectFailure(target, e)));
                    continue;
                }
                // While the member stays connected, its chain is being downloaded.
                while (!synced.isDone() && node.peer(peer.keyId()).isPresent()) {
                    awaitQuietly(synced, Duration.ofSeconds(1));
                }
                if (!synced.isDone()) {
                    failures.add(
                            new Failure(
                                    target,
                                    "The connection to "
                                            + target
                                            + " closed before the ledger synced"));
                }
            }
            if (!synced.isDone()) {
                retryLater("sync", failures, backoff, synced);
            }
        }
        Properties p = home.load();
        p.setProperty(STATE, JOINED);
        if (!options.join().isEmpty()) {
            p.setProperty(JOIN, String.join(",", options.join()));
        }
        home.store(p);
        state = JOINED;
        reportSynced(node);
    }

    /** A home that synced before: waits at most 15 s for a member, then goes on alone. */
    private void restartSync(Node node) throws Cancelled, InterruptedException {
        CompletableFuture<PeerId> synced = node.synced();
        List<CompletableFuture<NodePeer>> dials = new ArrayList<>();
        for (InetSocketAddress m : members) {
            out.info("joining the network through " + text(m) + " ...");
            dials.add(node.join(m)); // redialed in the background with backoff
        }
        awaitQuietly(synced, options.retryMin().multipliedBy(RESTART_WAIT_DELAYS));
        if (cancelled.isDone()) {
            throw new Cancelled();
        }
        Runnable storeJoin =
                () -> {
                    if (!options.join().isEmpty()) {
                        home.set(JOIN, String.join(",", options.join()));
                    }
                };
        if (synced.isDone()) {
            storeJoin.run();
            reportSynced(node);
            return;
        }
        for (int i = 0; i < members.size(); i++) {
            CompletableFuture<NodePeer> d = dials.get(i);
            if (d.isCompletedExceptionally()) {
                try {
                    d.getNow(null);
                } catch (RuntimeException e) {
                    out.error(Explain.connectFailure(text(members.get(i)), e));
                }
            }
        }
        out.info(
                "no member has synced with this node yet: it synced with the network before, so it"
                        + " starts with its copy of the ledger (height "
                        + node.ledger().tip().height()
                        + ") and keeps trying in the background");
        synced.thenRunAsync(
                () -> {
                    storeJoin.run();
                    reportSynced(node);
                });
    }

    private void reportSynced(Node node) {
        out.event(
                "synced",
                "synced with the network: ledger height "
                        + node.ledger().tip().height()
                        + ", "
                        + Words.count(node.ledger().identityCount(), "identity", "identities"),
                "height",
                node.ledger().tip().height());
    }

    // ------------------------------------------------------------------ retries

    /** A failed attempt: where, and why (a sentence without a final period). */
    private record Failure(String address, String reason) {}

    /**
     * Says when the next attempt is, for each address that failed, then waits for it (or until
     * {@code early} completes).
     */
    private void retryLater(
            String stage,
            List<Failure> failures,
            Backoff backoff,
            @Nullable CompletableFuture<?> early)
            throws Cancelled, InterruptedException {
        Duration delay = backoff.next();
        Instant at = Instant.now().plus(delay);
        String when =
                LocalTime.ofInstant(at, ZoneId.systemDefault()).format(CLOCK)
                        + " (in "
                        + seconds(delay)
                        + ")";
        for (Failure f : failures) {
            out.event(
                    "retry",
                    "waiting for the network: "
                            + sentence(f.reason())
                            + " Next try at "
                            + when
                            + "; Ctrl-C to stop.",
                    "stage",
                    stage,
                    "address",
                    f.address(),
                    "reason",
                    f.reason(),
                    "attempt",
                    backoff.attempts(),
                    "next_try",
                    at.toString(),
                    "next_try_in_ms",
                    delay.toMillis());
        }
        awaitQuietly(early == null ? new CompletableFuture<>() : early, delay);
        if (cancelled.isDone()) {
            throw new Cancelled();
        }
    }

    /** Ends a reason with a period unless it ends with a question mark already. */
    private static String sentence(String reason) {
        return reason.endsWith("?") || reason.endsWith(".") ? reason : reason + ".";
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms < 10_000 ? String.format("%.1f s", ms / 1000.0) : (ms + 500) / 1000 + " s";
    }

    /**
     * Whether a failed attempt is final: the member answered and refused (another network, our
     * identity refused, a broken or hostile peer). A member that is not there, busy or slow is
     * tried again.
     */
    static boolean fatal(Throwable failure) {
        Throwable t = Explain.unwrap(failure);
        ErrorCode code = ErrorCode.of(t);
        if (code == null) {
            return false; // refused, timed out, closed: nobody (ready) there
        }
        switch (code) {
            case HANDSHAKE_TIMEOUT:
            case IDLE_TIMEOUT:
            case BUSY:
            case RATE_LIMIT:
            case SLOW_CONSUMER:
            case TRUNCATED:
                return false;
            case PEER_ALERT:
                if (t instanceof PeerAlertException) {
                    AlertCode alert = ((PeerAlertException) t).alert();
                    return alert != AlertCode.RESOURCE_LIMIT && alert != AlertCode.TIMEOUT;
                }
                return true;
            default:
                return true;
        }
    }

    /** The result of {@code f}, waiting at most {@code timeout}, or until cancelled. */
    private <T> T await(CompletableFuture<T> f, Duration timeout)
            throws Cancelled, ExecutionException, TimeoutException, InterruptedException {
        awaitQuietly(f, timeout);
        if (cancelled.isDone()) {
            throw new Cancelled();
        }
        return f.get(0, TimeUnit.MILLISECONDS);
    }

    /** Waits until {@code f} completes, {@code timeout} passes, or the node is stopped. */
    private void awaitQuietly(CompletableFuture<?> f, Duration timeout)
            throws InterruptedException {
        try {
            CompletableFuture.anyOf(f, cancelled).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the caller looks at f
        }
    }

    // ------------------------------------------------------------------ rollback

    /** Removes what this run created, if the home had no network before it. */
    private void rollback(@Nullable ChatNode node) {
        if (node != null) {
            node.close();
        }
        if (!createdLedger) {
            return;
        }
        try {
            deleteTree(home.ledger());
        } catch (IOException | UncheckedIOException e) {
            out.error("Cannot remove " + home.ledger() + ": " + e.getMessage());
        }
        home.store(before);
    }

    private String rollbackNote() {
        return createdLedger
                ? "The ledger this run created in " + home.ledger() + " is removed."
                : home.dir() + " keeps the network's parameters from an earlier run.";
    }

    private void stopped() {
        String text;
        if (fresh) {
            text =
                    "stopped before joining the network: no network was written to "
                            + home.dir()
                            + ", so the same command starts over";
        } else if (state.equals(JOINING)) {
            text =
                    "stopped before the first sync: "
                            + home.dir()
                            + " keeps the network's parameters from an earlier run; run it again"
                            + " with --join HOST:PORT to join";
        } else {
            text = "stopped while waiting for the network";
        }
        out.event("stopped", text, "home", home.dir().toString());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private List<String> targets() {
        List<String> t = new ArrayList<>();
        for (InetSocketAddress m : members) {
            t.add(text(m));
        }
        return t;
    }

    private static String text(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
