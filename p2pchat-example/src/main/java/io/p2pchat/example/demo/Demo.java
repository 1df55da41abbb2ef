package io.p2pchat.example.demo;

import static io.p2pchat.example.text.TerminalText.escape;

import com.google.protobuf.ByteString;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.chat.HistoryKey;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.node.Registration;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.Miner;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.sync.SyncSettings;
import io.p2pchat.node.Node;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.Block;
import io.p2pchat.proto.TxBody;
import io.p2pchat.proto.TxEnvelope;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code p2pchat demo}: three nodes (alice, bob, carol) on 127.0.0.1 in one process, a fresh
 * ledger, and every step of the original design shown as it happens: connect, fetch keys from the
 * ledger, authenticate, agree keys, encrypted messages, key rotations. Ends with a summary and
 * checks (fingerprints equal on both sides, ledgers identical, histories encrypted); the exit code
 * is 0 only if every check passes.
 *
 * <p>Everything is real: the same nodes, ledger, secure channels and chat as {@code p2pchat node},
 * on a demo network whose proof of work is trivial so that it runs in seconds.
 *
 * <p>With {@code --ui}, each person also gets a web page ({@link DemoUi}): the same event model as
 * {@code p2pchat node --ui}, whose handshake view comes from {@code SessionEvents}, not from this
 * narration.
 *
 * <p>Parts: this class runs the script in the order of its output and tells the network and the
 * registrations; {@link HandshakeNarration} tells one connection step by step, {@link Messages} the
 * messages on the wire and the key rotations, {@link DemoSummary} the summary and its checks;
 * {@link Narrator} is their voice, {@link Person} one of the three, {@link WireTap} what an
 * eavesdropper sees, {@link DemoUi} a person's page.
 *
 * <p>Threading: the demo runs on the caller's thread; the nodes' event loops and chat threads only
 * record what they see in thread-safe collections ({@link WireTap}, the people's inboxes), which
 * the demo thread reads while it waits, bounded, for them.
 */
public final class Demo {
    private final Narrator n;

    /** Records per key: the default ratchet interval (docs/protocol.md §8.1). */
    static final int RATCHET_RECORDS = 8;

    private final PrintStream out;
    private final boolean keep;
    private final int keyBits;
    private final long started = System.nanoTime();
    private final List<Person> people = new ArrayList<>();
    private final Map<String, Long> handshakeMillis = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private Path dir;

    /** A demo writing to {@code out}; keeps its directory if {@code keep}. */
    public Demo(PrintStream out, boolean keep, int keyBits) {
        this(out, keep, keyBits, null);
    }

    /**
     * A demo that also serves a web page per person ({@code --ui}) and, after the summary, keeps
     * running until {@code in} ends (Enter, Ctrl-D) so that the pages can be looked at.
     */
    public Demo(PrintStream out, boolean keep, int keyBits, java.io.InputStream ui) {
        this.out = out;
        this.n = new Narrator(out);
        this.keep = keep;
        this.keyBits = keyBits;
        this.uiInput = ui;
    }

    private final java.io.InputStream uiInput; // null: no --ui

    /**
     * Runs the demo.
     *
     * @return the exit code: 0 when every step and check succeeded
     */
    public int run() throws Exception {
        n.title("p2pchat demo: three peers, one ledger, every step of the original design");
        dir = Files.createTempDirectory("p2pchat-demo-");
        n.say("Everything runs in this process on 127.0.0.1; working directory " + dir);
        try {
            identities();
            NetworkParameters params = network();
            registrations(params);
            new HandshakeNarration(n, keyBits, handshakeMillis)
                    .handshake(person("alice"), person("carol"));
            links();
            Messages chat = new Messages(n, people);
            chat.messages();
            chat.rotations(person("alice"), person("carol"));
            new DemoSummary(n, people, handshakeMillis, chat.count(), dir, started).summary();
            if (uiInput != null) {
                n.say("The pages stay live: press Enter (or Ctrl-D) to stop the demo.");
                uiInput.read();
            }
            return n.ok() ? 0 : 1;
        } finally {
            for (Person p : people) {
                if (p.ui != null) {
                    p.ui.close();
                }
                if (p.node != null) {
                    p.node.close();
                }
            }
            if (keep) {
                n.say("Kept " + dir + " (--keep): each person's ledger/ and encrypted history/.");
            } else {
                deleteTree(dir);
            }
        }
    }

    // ------------------------------------------------------------------ 1. identities

    private void identities() throws Exception {
        n.section("1. Identities");
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<LocalIdentity>> keys = new ArrayList<>();
            for (String name : List.of("alice", "bob", "carol")) {
                Person p = new Person(name, n);
                p.ui = uiInput == null ? null : new DemoUi();
                people.add(p);
                keys.add(pool.submit(() -> LocalIdentity.generate(keyBits, random)));
            }
            for (int i = 0; i < people.size(); i++) {
                people.get(i).identity = keys.get(i).get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        n.say(
                "Generated an RSA-"
                        + keyBits
                        + " identity key for alice, bob and carol in "
                        + Narrator.seconds(System.nanoTime() - t0)
                        + ". A peer id is the SHA-256 of the public key: it certifies itself.");
        for (Person p : people) {
            n.say(Narrator.INDENT + Narrator.pad(p.name, 6) + " peer id " + p.id().fingerprint());
        }
    }

    // ------------------------------------------------------------------ 2. network

    private NetworkParameters network() throws Exception {
        n.section("2. A fresh ledger network, joined through any member");
        NetworkParameters params =
                NetworkParameters.builder()
                        .name("demo")
                        .trivialDifficulty()
                        .targetBlockInterval(Duration.ofMillis(1))
                        .confirmations(2)
                        .nameRevealDelay(1)
                        .genesisTimeMillis(System.currentTimeMillis())
                        .build();
        Person alice = person("alice");
        Person bob = person("bob");
        Person carol = person("carol");
        start(alice, params);
        n.say(
                "alice creates the network 'demo', id "
                        + params.networkIdHex().substring(0, 16)
                        + "... (SHA-256 of its parameters), and listens on "
                        + address(alice)
                        + ".");
        n.say(
                Narrator.INDENT
                        + "Demo parameters: trivial proof of work (free blocks), k = 2"
                        + " confirmations, names revealed 1 block after their commitment.");
        join(bob, alice, params);
        join(carol, bob, params);
        return params;
    }

    private void join(Person joiner, Person member, NetworkParameters expected) throws Exception {
        long t0 = System.nanoTime();
        NetworkParameters fetched =
                Node.fetchNetworkParameters(
                                joiner.identity,
                                member.node.address(),
                                null,
                                Duration.ofSeconds(10))
                        .get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        long fetchNanos = System.nanoTime() - t0;
        n.check(fetched.equals(expected), joiner.name + " fetched the right parameters");
        n.say(
                joiner.name
                        + " has only "
                        + member.name
                        + "'s address. Over an unbound secure channel (an empty network id in its"
                        + " hello) it asks for the network parameters; "
                        + member.name
                        + "'s signed hello announced the network id, and SHA-256 of the"
                        + " parameters matches it: OK ("
                        + Narrator.millis(fetchNanos)
                        + ").");
        start(joiner, fetched);
        long t1 = System.nanoTime();
        NodePeer link =
                joiner.node
                        .node()
                        .join(member.node.address())
                        .get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t1) / 1_000_000;
        handshakeMillis.put(joiner.name + " -> " + member.name + " (ledger link)", ms);
        n.say(
                Narrator.INDENT
                        + joiner.name
                        + " ("
                        + address(joiner)
                        + ") then joins through "
                        + member.name
                        + ": a channel bound to the network, handshake "
                        + ms
                        + " ms, "
                        + link.session().cipherSuite()
                        + "; nobody is registered yet, so it replicates the ledger only ("
                        + link.access()
                        + ").");
    }

    private void start(Person p, NetworkParameters params) throws IOException {
        Path home = dir.resolve(p.name);
        Ledger ledger =
                Ledger.builder(params).dataDirectory(home.resolve("ledger")).name(p.name).open();
        // The demo's identities live in memory only, and so does the root of their history and
        // contacts keys.
        StorageRoot root = StorageRoot.generate();
        HistoryKey key = HistoryKey.of(root);
        ContactStore contacts = ContactStore.open(home.resolve("contacts.dat"), root);
        root.destroy();
        p.node =
                ChatNode.start(
                        p.identity,
                        p.name,
                        ledger,
                        "127.0.0.1",
                        0,
                        home.resolve("history"),
                        key,
                        contacts,
                        p.ui == null ? p : p.ui.listener(p),
                        b ->
                                b.discovery(false)
                                        .syncSettings(
                                                SyncSettings.DEFAULT.withTimings(
                                                        Duration.ofSeconds(10),
                                                        Duration.ofMillis(500))));
        if (p.ui != null) {
            n.say(Narrator.INDENT + p.name + "'s page: " + p.ui.start(p.node, contacts));
        }
    }

    // ------------------------------------------------------------------ 3. registrations

    private void registrations(NetworkParameters params) throws Exception {
        n.section("3. Registrations on the ledger (the certificate authority nobody runs)");
        n.say(
                "Each node submits a registration signed with its key: public key, address, a"
                        + " commitment to its name, and a small proof-of-work stamp. alice mines.");
        Person alice = person("alice");
        Ledger aliceLedger = alice.node.ledger();
        Miner miner = aliceLedger.miner();
        miner.addListener(
                new Miner.MiningListener() {
                    @Override
                    public void onBlockMined(BlockHeader header, int transactions) {
                        aliceLedger
                                .block(header.hash())
                                .thenAccept(
                                        b ->
                                                n.say(
                                                        Narrator.INDENT
                                                                + "block #"
                                                                + header.height()
                                                                + " mined by alice, hash "
                                                                + header.hash()
                                                                        .toHex()
                                                                        .substring(0, 16)
                                                                + "...: "
                                                                + contents(b)));
                    }
                });
        long t0 = System.nanoTime();
        List<CompletableFuture<IdentityRecord>> done = new ArrayList<>();
        // One thread per registration: each waits (polling) until its identity is confirmed, and
        // mining starts only once all of them have submitted. In the common pool they could not
        // all run at once (Java 25 runs them there with two workers on two CPUs, and the third
        // registration waited for the first two: the demo failed after 20 s).
        ExecutorService registering = Executors.newFixedThreadPool(people.size());
        try {
            for (Person p : people) {
                Map<String, Boolean> shown = new ConcurrentHashMap<>();
                Registration reg =
                        new Registration(
                                p.node.node(),
                                p.name,
                                "127.0.0.1",
                                p.node.address().getPort(),
                                new MemorySalt(),
                                (stage, text, fraction) -> {
                                    if (stage.equals("submitted")
                                            && shown.putIfAbsent(stage, true) == null) {
                                        n.say(
                                                Narrator.INDENT
                                                        + p.name
                                                        + " submitted its registration");
                                    }
                                });
                done.add(
                        CompletableFuture.supplyAsync(
                                () -> {
                                    try {
                                        return reg.run(Narrator.WAIT);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                        throw new IllegalStateException(e);
                                    }
                                },
                                registering));
            }
            // Mining starts once alice has all three registrations, so that one block holds them.
            long deadline = System.nanoTime() + Narrator.WAIT.toNanos();
            while (aliceLedger.mempool().get(5, TimeUnit.SECONDS).size() < people.size()
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            miner.start();
            for (int i = 0; i < people.size(); i++) {
                IdentityRecord r = done.get(i).get(Narrator.WAIT.toSeconds() + 5, TimeUnit.SECONDS);
                n.check(r.displayName().isPresent(), people.get(i).name + " has its name");
            }
        } finally {
            registering.shutdownNow();
        }
        miner.stop();
        awaitSameTip();
        Ledger l = alice.node.ledger();
        for (Person p : people) {
            IdentityRecord r = l.identity(p.id()).orElseThrow();
            n.say(
                    Narrator.INDENT
                            + Narrator.pad("'" + escape(r.displayName().orElse("?")) + "'", 8)
                            + " registered in block #"
                            + r.registeredAtHeight()
                            + ", "
                            + l.confirmations(r.currentKeyRecord().block())
                            + " confirmations, address "
                            + escape(r.addresses().get(0).hostAndPort()));
        }
        n.say(
                "All three replicas agree: height "
                        + l.tip().height()
                        + ", tip "
                        + l.tip().hash().toHex().substring(0, 16)
                        + "..., "
                        + l.identityCount()
                        + " identities ("
                        + Narrator.seconds(System.nanoTime() - t0)
                        + ").");
    }

    /** What a block holds, by kind of transaction. */
    private static String contents(Optional<byte[]> block) {
        if (block.isEmpty()) {
            return "?";
        }
        Map<String, Integer> kinds = new LinkedHashMap<>();
        try {
            for (ByteString env : Block.parseFrom(block.get()).getTransactionsList()) {
                TxBody body = TxBody.parseFrom(TxEnvelope.parseFrom(env).getBody());
                String kind =
                        switch (body.getOpCase()) {
                            case REGISTER -> "registration";
                            case REVEAL_NAME -> "name reveal";
                            case COMMIT_NAME -> "name commitment";
                            case UPDATE_ADDRESSES -> "address update";
                            case ROTATE_KEY -> "key rotation";
                            case REVOKE -> "revocation";
                            default -> "transaction";
                        };
                kinds.merge(kind, 1, Integer::sum);
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return "?";
        }
        if (kinds.isEmpty()) {
            return "no transactions (it confirms the blocks before it)";
        }
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, n) -> parts.add(n + " " + k + (n > 1 ? "s" : "")));
        return String.join(", ", parts);
    }

    /** Salt of a name commitment, in memory (the demo does not restart). */
    private static final class MemorySalt implements Registration.SaltStore {
        private byte[] salt;

        @Override
        public synchronized byte[] load() {
            return salt;
        }

        @Override
        public synchronized void store(byte[] s) {
            salt = s.clone();
        }
    }

    private void links() throws Exception {
        Person alice = person("alice");
        Person bob = person("bob");
        Person carol = person("carol");
        n.say(
                "The ledger links opened before the registrations (bob -> alice, carol -> bob) are"
                    + " re-checked on every message: now that the keys are confirmed, they carry"
                    + " chat too ("
                        + bob.peerOf(alice).access()
                        + ", "
                        + carol.peerOf(bob).access()
                        + ").");
    }

    // ------------------------------------------------------------------ helpers

    private void awaitSameTip() throws InterruptedException {
        long deadline = System.nanoTime() + Narrator.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean same = true;
            for (Person p : people) {
                same &= p.node.ledger().tip().equals(people.get(0).node.ledger().tip());
            }
            if (same) {
                return;
            }
            Thread.sleep(20);
        }
        n.fail();
        n.say(
                Narrator.INDENT
                        + "! the replicas did not converge within "
                        + Narrator.WAIT.toSeconds()
                        + " s");
    }

    private Person person(String name) {
        return Person.named(people, name);
    }

    private static String address(Person p) {
        return "127.0.0.1:" + p.node.address().getPort();
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        Files.walkFileTree(
                root,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                            throws IOException {
                        Files.delete(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path d, IOException e)
                            throws IOException {
                        Files.delete(d);
                        return FileVisitResult.CONTINUE;
                    }
                });
    }
}
