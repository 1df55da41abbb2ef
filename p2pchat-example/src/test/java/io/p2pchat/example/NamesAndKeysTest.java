package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.p2pchat.example.testing.ChildNode;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.LibraryNode;
import io.p2pchat.example.testing.RunningNodes;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.TipChangeEvent;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.node.NodePeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names and key changes (issue 10 item 7, docs/trust-model.md): the chat client remembers each
 * contact by identity id and says so loudly, before anything is sent, when a name it knew now
 * resolves to another identity or a contact's key changed. Real nodes on loopback at trivial
 * difficulty: the person's node is {@code p2pchat node} in a child JVM, driven through its console;
 * the other side is built from the library where the test must act through the API (mine a private
 * branch, sign a rotation).
 */
class NamesAndKeysTest {
    @TempDir Path dir;

    @RegisterExtension final RunningNodes nodes = new RunningNodes();

    private ChildNode node(String name, Path home, String... args) throws Exception {
        ChildNode n = ChildNode.start(name, home, args);
        nodes.add(n);
        return n;
    }

    /** alice's node, which starts the network (trivial difficulty), once it is ready. */
    private ChildNode genesis(Path home) throws Exception {
        ChildNode n =
                node(
                        "alice",
                        home,
                        "--listen",
                        "127.0.0.1:0",
                        "--genesis",
                        "--difficulty",
                        "trivial");
        n.awaitLine("ready:");
        return n;
    }

    private LibraryNode library(String name, LocalIdentity identity, NetworkParameters params)
            throws Exception {
        LibraryNode n = LibraryNode.start(name, dir.resolve(name), identity, params, false);
        nodes.add(n);
        return n;
    }

    /**
     * What a majority-hash-power attacker does to a name, honestly simulated: mallory's node syncs
     * alice's chain, is cut off, and (while bob registers "bob" and chats with alice) mines a
     * private branch in which its own identity commits to and reveals "bob" first, longer than the
     * honest chain; then it reconnects and alice's node reorganizes onto it (bob's reveal becomes a
     * duplicate). alice's home predates contacts (no contacts.dat): bob is remembered from her
     * history. alice's next message to "bob" is refused loudly and reaches nobody; mallory's own
     * message shows as from a new identity; {@code /accept bob} then starts a new conversation.
     */
    @Test
    void nameGivenToAnotherIdentityByAHeavierBranch_nothingIsSentToItUntilAccepted()
            throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        Path bobHome = Homes.init(dir, "bob");
        ChildNode alice = genesis(aliceHome);
        int alicePort = ChatEndToEndTest.port(alice);
        NetworkParameters params = parameters(aliceHome);

        // mallory syncs the chain as it is now (alice registered), then is cut off.
        LocalIdentity impostor = Homes.key("mallory");
        LibraryNode mallory = library("mallory", impostor, params);
        NodePeer link = mallory.connect(alicePort);
        Ledger malloryLedger = mallory.chatNode().ledger();
        awaitLedger(
                malloryLedger,
                l ->
                        l.identityByName("alice")
                                .filter(r -> l.confirmations(r.currentKeyRecord().block()) >= 3)
                                .isPresent(),
                "alice confirmed on mallory's ledger");
        link.close().await(10, TimeUnit.SECONDS);

        ChildNode bob =
                node("bob", bobHome, "--listen", "127.0.0.1:0", "--join", "127.0.0.1:" + alicePort);
        bob.awaitLine("ready:");
        alice.awaitConnectedAndConfirmed("bob");
        alice.send("/msg bob hello bob");
        bob.awaitLine("<alice> hello bob");
        alice.awaitLine("delivered to bob: hello bob");
        PeerId bobId = Homes.key("bob").peerId();

        // alice's home as an earlier version left it: a history, no contacts.
        assertThat(alice.quit()).isZero();
        Path contacts = aliceHome.resolve("contacts.dat");
        assertThat(contacts).exists();
        Files.delete(contacts);
        alice = node("alice again", aliceHome, "--retry-delays", "100,1000");
        alicePort = ChatEndToEndTest.port(alice);
        alice.awaitLine("ready:");
        assertThat(contacts).exists();

        // mallory's private branch: "bob" committed and revealed by mallory's identity, longer
        // than the honest chain.
        IdentityTransactions txs = IdentityTransactions.forNetwork(params);
        NameCommitment claim = NameCommitment.create("bob", new SecureRandom());
        long expiry = System.currentTimeMillis() + Duration.ofDays(1).toMillis();
        submit(
                malloryLedger,
                txs.register(
                        impostor,
                        List.of(new RegisteredAddress("127.0.0.1", mallory.port(), expiry)),
                        claim));
        mine(malloryLedger, params.nameRevealDelay() + 1);
        long seq = malloryLedger.nextSequence(impostor.peerId()).get(10, TimeUnit.SECONDS);
        submit(malloryLedger, txs.revealName(impostor, impostor.peerId(), seq, claim));
        mine(malloryLedger, 1);
        assertThat(malloryLedger.identityByName("bob").map(IdentityRecord::id))
                .contains(impostor.peerId());
        long honest = height(alice);
        mine(malloryLedger, (int) Math.max(1, honest + 8 - malloryLedger.tip().height()));

        int a0 = alice.mark();
        mallory.connect(alicePort);
        alice.awaitLine(a0, "NAME CHANGED: on your ledger, 'bob' is now ANOTHER identity.");
        alice.awaitLine(a0, "the bob you knew:  identity " + bobId.fingerprint());
        alice.awaitLine(a0, "'bob' now:  identity " + impostor.peerId().fingerprint());

        // Nothing goes to the name: not a message, not a connection.
        int a1 = alice.mark();
        alice.send("/msg bob are you still there?");
        alice.awaitLine(a1, "!! NOTHING WAS SENT to 'bob'.");
        alice.awaitLine(a1, "error: nothing was sent to 'bob': on your ledger it is now another");
        alice.send("/connect bob");
        alice.awaitLine(a1, "error: not connecting to 'bob'");

        // mallory writes, claiming the name: shown as a new identity, and plain text typed next
        // does not go to it by itself.
        mallory.send("/msg alice it is me, bob");
        alice.awaitLine(
                a1, "<bob [new identity " + impostor.peerId().shortId() + "]> it is me, bob");
        alice.send("so who are you?");
        alice.awaitLine(a1, "error: no conversation yet");

        // alice accepts: the name now means mallory's identity, in a new conversation.
        alice.send("/accept bob");
        alice.awaitLine(a1, "'bob' now means identity " + impostor.peerId().fingerprint());
        alice.send("/msg bob now I know who you are");
        mallory.awaitLine("<alice> now I know who you are");
        alice.awaitLine(a1, "delivered to bob: now I know who you are");
        int m0 = mallory.mark();
        mallory.send("/history alice");
        mallory.awaitLine(m0, "history with alice: 2 messages");
        assertThat(mallory.lines())
                .noneMatch(l -> l.contains("are you still there") || l.contains("so who are"));
        String conversation = conversationFingerprint(alice, "bob");
        assertThat(conversationFingerprint(mallory, "alice")).isEqualTo(conversation);

        // The conversation with the bob alice knew is kept under its identity id.
        // (alice mines bob's registration again after the reorganization, a moment later.)
        int a2 = alice.mark();
        alice.awaitAnswer(
                "/history " + bobId.toHex(),
                l -> l.startsWith("history with") || l.startsWith("error:"),
                l -> l.startsWith("history with"),
                "found the conversation with the bob she knew");
        alice.awaitLine(a2, "<you> hello bob");
    }

    /**
     * bob rotates his key (a rotation signed by the old and the new key, through the library, then
     * his node restarts with the new key). alice is told once per change, before her next message
     * goes out; the conversation fingerprint is a new number, the same on both sides. Unverified:
     * her message goes on. After {@code /verify bob} and a second rotation: her next message is
     * held until she confirms.
     */
    @Test
    void contactRotatesItsKey_aliceIsToldFirst_andAVerifiedContactIsHeldUntilConfirmed()
            throws Exception {
        Path aliceHome = Homes.init(dir, "alice");
        ChildNode alice = genesis(aliceHome);
        int alicePort = ChatEndToEndTest.port(alice);
        NetworkParameters params = parameters(aliceHome);
        LocalIdentity key1 = Homes.key("bob");
        LibraryNode bob = library("bob", key1, params);
        bob.connect(alicePort);
        PeerId bobId = bob.register("bob").id();
        alice.awaitConfirmed("bob");
        alice.send("/msg bob hi bob");
        bob.awaitLine("<alice> hi bob");
        alice.awaitLine("delivered to bob: hi bob");
        bob.send("/msg alice hi alice");
        alice.awaitLine("<bob> hi alice");
        String before = conversationFingerprint(alice, "bob");
        assertThat(conversationFingerprint(bob, "alice")).isEqualTo(before);

        // 1. A rotation while alice has not verified bob: told, and her messages go on.
        LocalIdentity key2 = LocalIdentity.generate(2048, new SecureRandom());
        int a0 = alice.mark();
        rotate(bob, bobId, key1, key2, params);
        alice.awaitLine(a0, "KEY CHANGED: bob's key is not the one you knew.");
        alice.awaitLine(a0, "Messages to bob go on.");
        restart(bob, bobId, key2, alicePort);
        String afterFirst = conversationFingerprint(alice, "bob");
        assertThat(afterFirst).isNotEqualTo(before);
        assertThat(conversationFingerprint(bob, "alice")).isEqualTo(afterFirst);
        alice.send("/msg bob after your rotation");
        bob.awaitLine("<alice> after your rotation");
        int delivered = indexOf(alice, a0, "delivered to bob: after your rotation");
        assertThat(indexOf(alice, a0, "KEY CHANGED")).isLessThan(delivered);
        int a1 = alice.mark();
        alice.send("/fingerprint bob");
        alice.awaitLine(a1, "NEW NUMBER since bob's key changed on");
        alice.send("/verify bob");
        alice.awaitLine(a1, "verified bob: you compared these with bob and they matched");
        alice.send("/whois bob");
        alice.awaitLine(a1, "verified:      yes, on");

        // 2. A rotation after alice verified bob: told, and nothing more is sent until she
        // confirms.
        LocalIdentity key3 = LocalIdentity.generate(2048, new SecureRandom());
        int a2 = alice.mark();
        rotate(bob, bobId, key2, key3, params);
        alice.awaitLine(a2, "KEY CHANGED: bob's key is not the one you knew.");
        alice.awaitLine(a2, "You had verified bob: NOTHING MORE IS SENT to bob");
        restart(bob, bobId, key3, alicePort);
        alice.send("/msg bob this waits for you");
        alice.awaitLine(a2, "error: not sent: bob's key changed after you verified bob");
        String afterSecond = conversationFingerprint(alice, "bob");
        assertThat(afterSecond).isNotEqualTo(afterFirst);
        assertThat(conversationFingerprint(bob, "alice")).isEqualTo(afterSecond);
        alice.send("/whois bob");
        alice.awaitLine(a2, "verified:      NO: bob's key changed after you verified it");
        alice.send("/accept bob");
        alice.awaitLine(a2, "sending to bob goes on with its new key");
        alice.send("/msg bob released");
        bob.awaitLine("<alice> released");
        alice.awaitLine(a2, "delivered to bob: released");

        assertThat(alice.lines()).filteredOn(l -> l.contains("KEY CHANGED")).hasSize(2);
        assertThat(bob.lines()).noneMatch(l -> l.contains("this waits for you"));
        int b0 = bob.mark();
        bob.send("/history alice");
        bob.awaitLine(b0, "history with alice: 4 messages");
        // In a script, the refused (held) message is a failed command: exit status 1.
        assertThat(alice.quit()).isEqualTo(ExitCode.USER_ERROR.code());
    }

    /**
     * Signs bob's rotation from {@code from} to {@code to} with both keys (IdentityTransactions, as
     * a rotate command would) and submits it through bob's node, which gossips it to alice's.
     */
    private static void rotate(
            LibraryNode bob,
            PeerId bobId,
            LocalIdentity from,
            LocalIdentity to,
            NetworkParameters params)
            throws Exception {
        long seq = bob.chatNode().ledger().nextSequence(bobId).get(10, TimeUnit.SECONDS);
        LedgerTransaction tx =
                IdentityTransactions.forNetwork(params).rotateKey(from, to, bobId, seq);
        TxResult r = bob.chatNode().node().submit(tx).get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    /**
     * Once the rotation is mined, the old key cannot even sync: bob's node restarts with the new
     * key (as after rotating the key in the identity file), reconnects and syncs the rotation.
     */
    private static void restart(LibraryNode bob, PeerId bobId, LocalIdentity key, int alicePort)
            throws Exception {
        bob.restart(key);
        bob.connect(alicePort);
        awaitLedger(
                bob.chatNode().ledger(),
                l ->
                        l.identity(bobId)
                                .filter(i -> i.currentKeyId().equals(key.peerId()))
                                .isPresent(),
                "bob's rotation on bob's ledger");
    }

    private static NetworkParameters parameters(Path home) throws Exception {
        return NetworkParameters.decode(
                Files.readAllBytes(home.resolve("ledger").resolve("network.params")));
    }

    private static void submit(Ledger ledger, LedgerTransaction tx) throws Exception {
        TxResult r = ledger.submitTransaction(tx).get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.message()).isEqualTo(TxResult.Status.ACCEPTED);
    }

    private static void mine(Ledger ledger, int blocks) throws Exception {
        ledger.miner().mineBlocks(blocks).get(ConsoleDriver.WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The height of a node's ledger, from {@code /ledger --json}. */
    private static long height(ConsoleDriver n) {
        int m = n.mark();
        n.send("/ledger --json");
        JsonObject o = n.awaitJson(m, "ledger", j -> true);
        return o.get("height").getAsLong();
    }

    /** The conversation fingerprint a console shows for {@code peer}. */
    private static String conversationFingerprint(ConsoleDriver n, String peer) {
        int m = n.mark();
        n.send("/fingerprint " + peer);
        return n.awaitMatch(m, "conversation fingerprint: ([0-9 ]{35})").group(1).strip();
    }

    /** The index of the first line at or after {@code from} containing {@code text}. */
    private static int indexOf(ConsoleDriver n, int from, String text) {
        n.awaitLine(from, text);
        List<String> lines = n.lines();
        for (int i = from; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("no line containing " + text);
    }

    /** Waits (bounded) until {@code done} holds for the ledger, checked at each tip change. */
    private static void awaitLedger(Ledger ledger, Predicate<Ledger> done, String what)
            throws Exception {
        CompletableFuture<Void> reached = new CompletableFuture<>();
        LedgerListener listener =
                new LedgerListener() {
                    @Override
                    public void onTipChanged(TipChangeEvent event) {
                        if (done.test(ledger)) {
                            reached.complete(null);
                        }
                    }
                };
        ledger.addListener(listener);
        try {
            if (!done.test(ledger)) {
                reached.get(ConsoleDriver.WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (TimeoutException e) {
            throw new AssertionError("no " + what + " within " + ConsoleDriver.WAIT, e);
        } finally {
            ledger.removeListener(listener);
        }
    }
}
