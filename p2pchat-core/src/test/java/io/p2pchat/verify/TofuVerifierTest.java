package io.p2pchat.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.Role;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.testing.TestIdentities;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class TofuVerifierTest {
    private final LocalIdentity alice = TestIdentities.get("alice");
    private final LocalIdentity bob = TestIdentities.get("bob");
    private final LocalIdentity mallory = TestIdentities.get("mallory");

    @TempDir Path dir;
    private Path file;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TofuVerifier.class);

    @BeforeEach
    void setUp() {
        file = dir.resolve("known_peers");
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logs);
    }

    /** Credentials of a peer we dialed at {@code host:port}. */
    private static PeerCredentials dialed(LocalIdentity peer, String host, int port) {
        return credentials(
                peer,
                Optional.of(InetSocketAddress.createUnresolved(host, port)),
                Optional.empty(),
                Role.RESPONDER);
    }

    /** Credentials of a peer that dialed us from an ephemeral port and announced {@code listen}. */
    private static PeerCredentials dialing(LocalIdentity peer, String listen) {
        return credentials(
                peer,
                Optional.of(new InetSocketAddress("127.0.0.9", 50123)),
                Optional.of(listen),
                Role.INITIATOR);
    }

    private static PeerCredentials credentials(
            LocalIdentity peer,
            Optional<SocketAddress> remote,
            Optional<String> listen,
            Role role) {
        return new PeerCredentials(
                peer.peerId(), peer.publicKey(), new byte[0], remote, listen, role);
    }

    private static ErrorCode codeOf(ThrowingRunnable call) {
        try {
            call.run();
        } catch (PeerVerificationException e) {
            return e.errorCode();
        } catch (Exception e) {
            throw new AssertionError("unexpected " + e, e);
        }
        return null;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** First contact with a dialed peer is accepted and its dialed address remembered on disk. */
    @Test
    void verify_firstUseOfDialedPeer_acceptsAndRemembersDialedAddress() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);

        verifier.verify(dialed(bob, "127.0.0.1", 7000));

        assertThat(verifier.knownPeer("127.0.0.1:7000")).contains(bob.peerId());
        assertThat(Files.readAllLines(file)).contains("127.0.0.1:7000 " + bob.peerId().toHex());
    }

    /** The same identity at a remembered endpoint is accepted again. */
    @Test
    void verify_sameKeyAgain_accepts() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(bob, "127.0.0.1", 7000));

        assertThatCode(() -> verifier.verify(dialed(bob, "127.0.0.1", 7000)))
                .doesNotThrowAnyException();
    }

    /** Another identity at a remembered endpoint is refused with KEY_CHANGED and both prints. */
    @Test
    void verify_changedKey_throwsKeyChangedNamingEndpointAndBothFingerprints() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(bob, "127.0.0.1", 7000));

        assertThatThrownBy(() -> verifier.verify(dialed(mallory, "127.0.0.1", 7000)))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_CHANGED))
                .hasMessageContaining("127.0.0.1:7000")
                .hasMessageContaining(bob.peerId().fingerprint())
                .hasMessageContaining(mallory.peerId().fingerprint())
                .hasMessageContaining("forget");
        assertThat(verifier.knownPeer("127.0.0.1:7000")).contains(bob.peerId());
    }

    /** A changed key is logged at WARN with the endpoint and both fingerprints. */
    @Test
    void verify_changedKey_logsWarning() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(bob, "127.0.0.1", 7000));

        codeOf(() -> verifier.verify(dialed(mallory, "127.0.0.1", 7000)));

        assertThat(logs.list)
                .filteredOn(e -> e.getLevel() == Level.WARN)
                .singleElement()
                .satisfies(
                        e ->
                                assertThat(e.getFormattedMessage())
                                        .contains("127.0.0.1:7000")
                                        .contains(bob.peerId().fingerprint())
                                        .contains(mallory.peerId().fingerprint()));
    }

    /** An announced address is never learned: an initiator cannot claim someone's endpoint. */
    @Test
    void verify_initiatorAnnouncingUnknownAddress_isAcceptedButNotRemembered() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);

        verifier.verify(dialing(mallory, "Alice.Example:7001"));

        assertThat(verifier.knownPeers()).isEmpty();
        assertThatCode(() -> verifier.verify(dialed(alice, "alice.example", 7001)))
                .doesNotThrowAnyException();
    }

    /** An initiator announcing an endpoint we dialed before is checked against it. */
    @Test
    void verify_initiatorAnnouncingKnownAddress_isChecked() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(alice, "alice.example", 7001));

        assertThatCode(() -> verifier.verify(dialing(alice, "Alice.Example:7001")))
                .doesNotThrowAnyException();
        assertThat(codeOf(() -> verifier.verify(dialing(mallory, "alice.example:7001"))))
                .isEqualTo(ErrorCode.KEY_CHANGED);
    }

    /** Peers without an endpoint are accepted and nothing is remembered. */
    @Test
    void verify_noEndpoint_acceptsWithoutRemembering() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);

        verifier.verify(credentials(alice, Optional.empty(), Optional.empty(), Role.RESPONDER));
        verifier.verify(dialing(alice, ""));
        verifier.verify(dialing(alice, "0.0.0.0:7000"));
        verifier.verify(dialing(alice, "[::]:7000"));
        verifier.verify(
                credentials(
                        alice,
                        Optional.of(new io.netty.channel.local.LocalAddress("x")),
                        Optional.empty(),
                        Role.RESPONDER));
        verifier.verify(dialing(mallory, "0.0.0.0:7000"));

        assertThat(verifier.knownPeers()).isEmpty();
        assertThat(file).doesNotExist();
    }

    /** An announced listen address that is not host:port is refused with MALFORMED. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "nohost",
                "host:",
                ":7000",
                "host:0",
                "host:65536",
                "host:+700",
                "a b:7000",
                "host:7000\nevil:1 00",
                "[zz::1]:7000",
                "[::1:7000",
                "::1:7000",
                "h\u00e9:7000"
            })
    void verify_malformedListenAddress_throwsMalformed(String announced) throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);

        assertThat(codeOf(() -> verifier.verify(dialing(alice, announced))))
                .isEqualTo(ErrorCode.MALFORMED);
        assertThat(verifier.knownPeers()).isEmpty();
    }

    /** Remembered identities survive a restart, and a changed key is still caught. */
    @Test
    void open_afterRestart_remembersAndStillDetectsChange() throws Exception {
        TofuVerifier first = TofuVerifier.open(file);
        first.verify(dialed(bob, "127.0.0.1", 7000));
        first.verify(dialed(alice, "::1", 7001));

        TofuVerifier second = TofuVerifier.open(file);

        assertThat(second.knownPeers())
                .containsEntry("127.0.0.1:7000", bob.peerId())
                .containsEntry("[0:0:0:0:0:0:0:1]:7001", alice.peerId())
                .hasSize(2);
        assertThatCode(() -> second.verify(dialed(alice, "::1", 7001))).doesNotThrowAnyException();
        assertThat(codeOf(() -> second.verify(dialed(mallory, "127.0.0.1", 7000))))
                .isEqualTo(ErrorCode.KEY_CHANGED);
    }

    /** After forget, the next identity at the endpoint is a first use, persisted. */
    @Test
    void forget_thenNewKey_acceptsAndPersistsNewKey() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(bob, "127.0.0.1", 7000));

        assertThat(verifier.forget("127.0.0.1:07000")).isTrue();
        verifier.verify(dialed(mallory, "127.0.0.1", 7000));

        assertThat(TofuVerifier.open(file).knownPeer("127.0.0.1:7000")).contains(mallory.peerId());
        assertThat(verifier.forget("127.0.0.1:7999")).isFalse();
    }

    /** forget refuses text that is not an endpoint. */
    @Test
    void forget_notAnEndpoint_throwsIllegalArgument() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);

        assertThatThrownBy(() -> verifier.forget("example.org"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example.org")
                .hasMessageContaining("expected: host:port");
    }

    /** A malformed known-peers file is refused with the line number. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "example.org:7000",
                "example.org:7000 abcd",
                "example.org 7000 " + "ab",
                "example.org:7000 "
                        + "zz00000000000000000000000000000000000000000000000000000000000000",
                "example.org:99999 "
                        + "0000000000000000000000000000000000000000000000000000000000000000",
                "example.org:7000 00 extra"
            })
    void open_malformedLine_throwsNamingTheLine(String line) throws IOException {
        Files.writeString(file, "# comment\n" + line + "\n");

        assertThatThrownBy(() -> TofuVerifier.open(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("line 2");
    }

    /** An endpoint listed twice with different identities is refused. */
    @Test
    void open_duplicateEndpointWithDifferentIds_throws() throws IOException {
        Files.writeString(
                file,
                "host:1 " + bob.peerId().toHex() + "\nHOST:01 " + mallory.peerId().toHex() + "\n");

        assertThatThrownBy(() -> TofuVerifier.open(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("listed twice");
    }

    /** A file that is not UTF-8 is refused with a clear message. */
    @Test
    void open_notUtf8_throws() throws IOException {
        Files.write(file, new byte[] {'h', ':', '1', ' ', (byte) 0xC3, (byte) 0x28});

        assertThatThrownBy(() -> TofuVerifier.open(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not UTF-8");
    }

    /** A hand-written file with blank lines, comments and CRLF loads. */
    @Test
    void open_handWrittenFile_loads() throws Exception {
        Files.writeString(
                file, "\r\n# mine\r\n  Example.ORG:7000   " + bob.peerId().toHex() + "  \r\n\r\n");

        assertThat(TofuVerifier.open(file).knownPeer("example.org:7000")).contains(bob.peerId());
    }

    /** The directory of the file must exist. */
    @Test
    void open_missingDirectory_throwsNoSuchFile() {
        assertThatThrownBy(() -> TofuVerifier.open(dir.resolve("nope").resolve("known_peers")))
                .isInstanceOf(NoSuchFileException.class);
    }

    /** If a first use cannot be saved, the peer is refused and nothing is remembered. */
    @Test
    void verify_firstUseCannotBeSaved_throwsInternalErrorAndRemembersNothing() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        TofuVerifier verifier = TofuVerifier.open(sub.resolve("known_peers"));
        Files.delete(sub);

        assertThat(codeOf(() -> verifier.verify(dialed(bob, "127.0.0.1", 7000))))
                .isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(verifier.knownPeers()).isEmpty();
    }

    /** The file is written owner-only on POSIX. */
    @Test
    void verify_firstUse_writesFileOwnerOnly() throws Exception {
        assumeTrue(AtomicFiles.isPosix(dir));
        TofuVerifier.open(file).verify(dialed(bob, "127.0.0.1", 7000));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    /** Credentials whose id is not the hash of their key are refused. */
    @Test
    void verify_idNotHashOfKey_throwsIdKeyMismatch() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        PeerCredentials forged =
                new PeerCredentials(
                        bob.peerId(),
                        mallory.publicKey(),
                        new byte[0],
                        Optional.of(new InetSocketAddress("127.0.0.1", 7000)),
                        Optional.empty(),
                        Role.RESPONDER);

        assertThat(codeOf(() -> verifier.verify(forged))).isEqualTo(ErrorCode.ID_KEY_MISMATCH);
        assertThat(verifier.knownPeers()).isEmpty();
    }

    /** Racing first contacts at one endpoint: exactly one identity wins, the rest are refused. */
    @Test
    void verify_concurrentFirstUseOfOneEndpoint_exactlyOneIdentityWins() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        List<LocalIdentity> peers = List.of(alice, bob, mallory, alice, bob, mallory, alice, bob);
        List<ErrorCode> codes = runConcurrently(peers, p -> dialed(p, "127.0.0.1", 7000), verifier);

        PeerId winner = verifier.knownPeer("127.0.0.1:7000").orElseThrow();
        for (int i = 0; i < peers.size(); i++) {
            boolean isWinner = peers.get(i).peerId().equals(winner);
            assertThat(codes.get(i)).isEqualTo(isWinner ? null : ErrorCode.KEY_CHANGED);
        }
        assertThat(TofuVerifier.open(file).knownPeers()).containsOnlyKeys("127.0.0.1:7000");
    }

    /** Concurrent first contacts at distinct endpoints are all remembered on disk. */
    @Test
    void verify_concurrentFirstUseOfManyEndpoints_allPersisted() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        List<LocalIdentity> peers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            peers.add(i % 2 == 0 ? alice : bob);
        }
        List<Integer> ports = new ArrayList<>();
        List<ErrorCode> codes =
                runConcurrently(
                        peers,
                        p -> {
                            synchronized (ports) {
                                int port = 8000 + ports.size();
                                ports.add(port);
                                return dialed(p, "127.0.0.1", port);
                            }
                        },
                        verifier);

        assertThat(codes).containsOnlyNulls();
        assertThat(TofuVerifier.open(file).knownPeers()).hasSize(16);
    }

    private interface CredentialsFactory {
        PeerCredentials create(LocalIdentity peer);
    }

    /** Verifies each peer on its own thread, all released together; the codes, null = accepted. */
    private static List<ErrorCode> runConcurrently(
            List<LocalIdentity> peers, CredentialsFactory factory, TofuVerifier verifier)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(peers.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ErrorCode>> futures = new ArrayList<>();
            for (LocalIdentity peer : peers) {
                PeerCredentials credentials = factory.create(peer);
                Callable<ErrorCode> task =
                        () -> {
                            start.await();
                            return codeOf(() -> verifier.verify(credentials));
                        };
                futures.add(pool.submit(task));
            }
            start.countDown();
            List<ErrorCode> codes = new ArrayList<>();
            for (Future<ErrorCode> f : futures) {
                codes.add(f.get(30, TimeUnit.SECONDS));
            }
            return codes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Endpoint forms are normalized: case, leading zeros, IPv6 spelling. */
    @Test
    void knownPeer_equivalentSpellings_findSameEntry() throws Exception {
        TofuVerifier verifier = TofuVerifier.open(file);
        verifier.verify(dialed(bob, "::1", 7000));
        verifier.verify(dialed(alice, "Example.Org", 80));

        assertThat(verifier.knownPeer("[::1]:7000")).contains(bob.peerId());
        assertThat(verifier.knownPeer("[0:0:0:0:0:0:0:1]:07000")).contains(bob.peerId());
        assertThat(verifier.knownPeer("example.org:80")).contains(alice.peerId());
        assertThat(Files.readString(file, StandardCharsets.UTF_8))
                .contains("example.org:80 " + alice.peerId().toHex());
    }
}
