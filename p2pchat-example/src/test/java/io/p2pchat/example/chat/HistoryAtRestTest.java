package io.p2pchat.example.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.crypto.Hkdf;
import io.p2pchat.example.testing.ConsoleDriver;
import io.p2pchat.example.testing.Homes;
import io.p2pchat.example.testing.InProcessNode;
import io.p2pchat.example.testing.LegacyHomes;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.proto.HistoryEntry;
import io.p2pchat.proto.HistoryEntry.Direction;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat history at rest, through {@code p2pchat node} (in this JVM): after a real start the history
 * decrypts under the key of the identity file's storage root only, never under a key derived from
 * an all-zero passphrase (the defect of earlier versions, which derived it after the identity load
 * had wiped the passphrase) nor under another identity's; a home written by an earlier version is
 * converted on its first start (also when a crash interrupted the conversion), with nothing lost;
 * and homes are private (directories 0700, files 0600).
 */
class HistoryAtRestTest {
    private static final String PASSPHRASE = Homes.PASSPHRASE;

    @TempDir Path dir;

    private final List<ConsoleDriver> consoles = new ArrayList<>();

    @RegisterExtension
    final TestWatcher dumpOnFailure =
            new TestWatcher() {
                @Override
                public void testFailed(ExtensionContext context, Throwable cause) {
                    for (ConsoleDriver c : consoles) {
                        System.out.println(c.transcript());
                    }
                }
            };

    @BeforeEach
    void posixOnly() throws IOException {
        assumeTrue(AtomicFiles.isPosix(dir), "permissions and the legacy home need POSIX");
    }

    @AfterEach
    void stop() throws Exception {
        for (ConsoleDriver c : consoles) {
            c.close();
        }
    }

    private InProcessNode node(String name, Path home, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--listen", "127.0.0.1:0"));
        all.addAll(List.of(args));
        InProcessNode n = InProcessNode.node(name, home, dir, all.toArray(new String[0]));
        consoles.add(n);
        return n;
    }

    private static String text(HistoryEntry e) {
        try {
            return ChatMessage.parseFrom(e.getMessage()).getText();
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    /** The history key of a home, from its identity file's storage root. */
    private static HistoryKey rootKey(Path home) throws Exception {
        return HistoryKey.of(
                IdentityStore.create()
                        .open(home.resolve("identity.pem"), PASSPHRASE.toCharArray())
                        .storageRoot());
    }

    /**
     * Every key an attacker who reads the home could compute without the passphrase or the identity
     * file's content: scrypt of zero bytes with the old salt and with none (HMAC pads a key of at
     * most 64 bytes with zeros, so scrypt(NUL × n) is one key for every n in 1..64, as asserted),
     * HKDF and SHA-256 over zeros and over an all-zero root; and the passphrase's own scrypt (the
     * key format 1 meant to use, which must not be used either).
     */
    private static Map<String, HistoryKey> keysWithoutTheRoot(byte[] oldSalt) {
        Map<String, HistoryKey> keys = new LinkedHashMap<>();
        for (byte[] salt : List.of(oldSalt, new byte[16])) {
            byte[] zero = LegacyHomes.scrypt(new byte[1], salt);
            for (int n : new int[] {PASSPHRASE.length(), 64}) {
                assertThat(LegacyHomes.scrypt(new byte[n], salt))
                        .as("scrypt(NUL x %d) is scrypt(NUL x 1)", n)
                        .isEqualTo(zero);
            }
            keys.put("scrypt(NUL x 1..64, salt " + salt[0] + ")", HistoryKey.ofBytes(zero));
        }
        keys.put(
                "scrypt(passphrase, old salt)",
                HistoryKey.ofBytes(
                        LegacyHomes.scrypt(PASSPHRASE.getBytes(StandardCharsets.UTF_8), oldSalt)));
        byte[] label = HistoryKey.LABEL.getBytes(StandardCharsets.US_ASCII);
        keys.put(
                "HKDF(zero root)",
                HistoryKey.ofBytes(Hkdf.derive(new byte[0], new byte[32], label, 32)));
        keys.put(
                "HKDF(NUL x n)",
                HistoryKey.ofBytes(
                        Hkdf.derive(new byte[0], new byte[PASSPHRASE.length()], label, 32)));
        try {
            keys.put(
                    "SHA-256(NUL x n)",
                    HistoryKey.ofBytes(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(new byte[PASSPHRASE.length()])));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
        keys.put("all zeros", HistoryKey.ofBytes(new byte[32]));
        return keys;
    }

    /**
     * The conversation with {@code peer} in {@code home} decrypts under the home's root key (with
     * {@code texts}), and under none of {@code wrong}. Works on a copy: a failed open changes
     * nothing, but the evidence stays as the node left it.
     */
    private void assertOnlyRootKeyOpens(
            Path home, PeerId self, PeerId peer, List<String> texts, Map<String, HistoryKey> wrong)
            throws Exception {
        Path copy = Files.createTempDirectory(dir, "copy");
        Files.copy(ChatHistory.file(home.resolve("history"), peer), ChatHistory.file(copy, peer));
        for (Map.Entry<String, HistoryKey> k : wrong.entrySet()) {
            assertThatThrownBy(() -> ChatHistory.open(copy, k.getValue(), self, peer).close())
                    .as("the history opened under %s", k.getKey())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("corrupted or altered");
        }
        try (ChatHistory h = ChatHistory.open(copy, rootKey(home), self, peer)) {
            assertThat(h.messages())
                    .extracting(HistoryAtRestTest::text)
                    .containsExactlyElementsOf(texts);
        }
    }

    /**
     * A home as an earlier version left it (identity without a storage root, format 1 history under
     * the all-zero key and under the passphrase's key, a file under neither, 0755/0644) is made
     * private and converted on the first start, which says so; /history shows the old messages;
     * afterwards no history file (old or new, on either node) decrypts under any key computable
     * without the identity file's root, nor under the other identity's; and the fresh home from
     * {@code p2pchat init} was private from the start.
     */
    @Test
    void legacyHome_firstStartConverts_onlyTheRootKeyOpensAnyHistory() throws Exception {
        Path bobHome = Homes.initWithCli(dir, "bob");
        LocalIdentity bob = Homes.identity(bobHome);
        LocalIdentity alice = Homes.key("alice");
        PeerId carol = PeerId.of(new byte[32]);
        PeerId dave = PeerId.of(MessageDigest.getInstance("SHA-256").digest(new byte[1]));

        Path aliceHome = dir.resolve("alice");
        Path history = aliceHome.resolve("history");
        Files.createDirectories(history);
        LegacyHomes.writeIdentityWithoutRoot(alice, aliceHome.resolve("identity.pem"), PASSPHRASE);
        Files.writeString(aliceHome.resolve("node.properties"), "name=alice\n");
        byte[] salt = LegacyHomes.randomSalt();
        Files.write(history.resolve("salt"), salt);
        ChatMessage before = LegacyHomes.message("before the upgrade", 1000);
        LegacyHomes.writeHistoryV1(
                ChatHistory.file(history, bob.peerId()),
                LegacyHomes.scrypt(new byte[PASSPHRASE.length()], salt),
                bob.peerId(),
                List.of(
                        LegacyHomes.entry(Direction.SENT, before, 1000),
                        LegacyHomes.ack(before, 1001),
                        LegacyHomes.entry(
                                Direction.RECEIVED,
                                LegacyHomes.message("an old reply", 1002),
                                1002)));
        LegacyHomes.writeHistoryV1(
                ChatHistory.file(history, carol),
                LegacyHomes.scrypt(PASSPHRASE.getBytes(StandardCharsets.UTF_8), salt),
                carol,
                List.of(
                        LegacyHomes.entry(
                                Direction.RECEIVED, LegacyHomes.message("from carol", 900), 900)));
        LegacyHomes.writeHistoryV1(
                ChatHistory.file(history, dave),
                LegacyHomes.scrypt("another passphrase".getBytes(StandardCharsets.UTF_8), salt),
                dave,
                List.of(
                        LegacyHomes.entry(
                                Direction.RECEIVED, LegacyHomes.message("from dave", 800), 800)));
        byte[] daveBytes = Files.readAllBytes(ChatHistory.file(history, dave));
        LegacyHomes.openUp(aliceHome);

        InProcessNode a = node("alice", aliceHome, "--genesis", "--difficulty", "trivial");
        String port = a.awaitMatch(0, "listening on 127\\.0\\.0\\.1:([0-9]+)").group(1);
        a.awaitLine("was open to other users of this machine");
        a.awaitLine("note: your identity file now also holds the random key of your chat history");
        a.awaitLine(
                "history: 2 conversations re-encrypted with a key kept inside your identity file (1"
                        + " of them were under a key that earlier versions derived without your"
                        + " passphrase");
        a.awaitLine("warning: the chat history " + ChatHistory.file(history, dave));
        InProcessNode b = node("bob", bobHome, "--join", "127.0.0.1:" + port);
        a.awaitLine("ready:");
        b.awaitLine("ready:");
        a.awaitConnectedAndConfirmed("bob");
        b.awaitConnectedAndConfirmed("alice");

        int a0 = a.mark();
        a.send("/history bob");
        a.awaitLine(a0, "history with bob: 2 messages");
        a.awaitLine(a0, "<you> before the upgrade");
        a.awaitLine(a0, "<bob> an old reply");
        a.send("/msg bob after the upgrade");
        b.awaitLine("<alice> after the upgrade");
        a.awaitLine(a0, "delivered to bob: after the upgrade");
        assertThat(b.quit()).isZero();
        assertThat(a.quit()).isZero();

        assertThat(history.resolve("salt")).doesNotExist();
        assertThat(
                        Files.readAllBytes(
                                history.resolve(
                                        dave.toHex()
                                                + ".log"
                                                + HistoryMigration.UNREADABLE_SUFFIX)))
                .isEqualTo(daveBytes);
        assertThat(ChatHistory.file(history, dave)).doesNotExist();
        Map<String, HistoryKey> wrongForAlice = keysWithoutTheRoot(salt);
        wrongForAlice.put("bob's root", rootKey(bobHome));
        assertOnlyRootKeyOpens(
                aliceHome,
                alice.peerId(),
                bob.peerId(),
                List.of("before the upgrade", "an old reply", "after the upgrade"),
                wrongForAlice);
        assertOnlyRootKeyOpens(
                aliceHome, alice.peerId(), carol, List.of("from carol"), wrongForAlice);
        Map<String, HistoryKey> wrongForBob = keysWithoutTheRoot(salt);
        wrongForBob.put("alice's root", rootKey(aliceHome));
        assertOnlyRootKeyOpens(
                bobHome, bob.peerId(), alice.peerId(), List.of("after the upgrade"), wrongForBob);

        Homes.assertPrivate(aliceHome);
        Homes.assertPrivate(bobHome);
        assertThat(b.lines()).noneMatch(l -> l.contains("open to other users"));
    }

    /**
     * A conversion cut short between two files (one converted, one still format 1, the salt and a
     * temporary file left) is finished at the next start: nothing half old, half new, nothing lost,
     * the converted file left as it was.
     */
    @Test
    void halfConvertedHome_nextStartFinishes() throws Exception {
        Path home = Homes.init(dir, "alice");
        Path history = home.resolve("history");
        LocalIdentity alice = Homes.identity(home);
        PeerId bob = PeerId.of(new byte[32]);
        PeerId carol = PeerId.of(MessageDigest.getInstance("SHA-256").digest(new byte[1]));
        byte[] salt = LegacyHomes.randomSalt();
        try (ChatHistory h = ChatHistory.open(history, rootKey(home), alice.peerId(), bob)) {
            h.sent(LegacyHomes.message("converted before the crash", 1), 1);
        }
        byte[] converted = Files.readAllBytes(ChatHistory.file(history, bob));
        Files.write(history.resolve("salt"), salt);
        LegacyHomes.writeHistoryV1(
                ChatHistory.file(history, carol),
                LegacyHomes.scrypt(new byte[PASSPHRASE.length()], salt),
                carol,
                List.of(
                        LegacyHomes.entry(
                                Direction.RECEIVED,
                                LegacyHomes.message("not converted yet", 2),
                                2)));
        Path leftover = history.resolve("." + carol.toHex() + ".log.4711.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});

        InProcessNode a = node("alice", home, "--genesis", "--difficulty", "trivial");
        a.awaitLine("history: 1 conversation re-encrypted");
        a.awaitLine("ready:");
        // The converted history holds a message bob never acknowledged (and bob is away): a
        // script learns from the exit status that it is still undelivered.
        assertThat(a.quit()).isEqualTo(ExitCode.UNDELIVERED.code());

        assertThat(Files.readAllBytes(ChatHistory.file(history, bob))).isEqualTo(converted);
        assertThat(history.resolve("salt")).doesNotExist();
        assertThat(leftover).doesNotExist();
        assertOnlyRootKeyOpens(
                home,
                alice.peerId(),
                carol,
                List.of("not converted yet"),
                keysWithoutTheRoot(salt));
        assertThat(a.lines()).noneMatch(l -> l.contains("note: your identity file"));
        Homes.assertPrivate(home);
    }
}
