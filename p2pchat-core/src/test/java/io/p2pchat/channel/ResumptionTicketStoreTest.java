package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ResumptionTicketStore}: a context's tickets, issued and held, survive a clean restart
 * through the store (and over real sockets resume again); expired tickets are dropped and lifetimes
 * capped on load; a state of another key or network is not used; a malformed or oversized state is
 * refused with {@link TicketStateException}; the store is taken once, at build, and every state
 * array is wiped.
 */
class ResumptionTicketStoreTest {
    private static final long START_MS =
            java.time.Instant.parse("2026-12-07T00:00:00Z").toEpochMilli();
    private static final LocalIdentity ALICE = ResumptionTest.ALICE;
    private static final LocalIdentity BOB = ResumptionTest.BOB;
    private static final LocalIdentity CAROL = TestIdentities.get("carol");
    private static final byte[] NETWORK = ResumptionTest.NETWORK;
    private static final CipherSuite SUITE = CipherSuite.X25519_AES_128_GCM_SHA256;
    private static final byte[] CERTIFICATE = "a certificate".getBytes(StandardCharsets.US_ASCII);
    private static final long HOUR = Duration.ofHours(1).toMillis();

    /** A store in memory; {@link #take()} hands out its array and forgets it. */
    static final class MemoryTicketStore implements ResumptionTicketStore {
        byte[] state;
        byte[] lastTaken;
        byte[] lastSaved;
        int takes;
        int saves;

        @Override
        public synchronized byte[] take() {
            takes++;
            byte[] s = state;
            state = null;
            lastTaken = s;
            return s;
        }

        @Override
        public synchronized void save(byte[] s) {
            saves++;
            lastSaved = s;
            state = s.clone();
        }
    }

    private static byte[] filled(int value, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** A ticket from {@code peer}, id and PSK filled with {@code fill}. */
    private static Ticket ticket(LocalIdentity peer, int fill, long expiresAt) {
        return new Ticket(
                filled(fill, ResumptionTickets.ID_LENGTH),
                filled(fill + 100, TicketState.PSK_LENGTH),
                peer.peerId(),
                peer.publicKey(),
                CERTIFICATE,
                SUITE,
                NETWORK,
                expiresAt);
    }

    private static InetSocketAddress address(String ip, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    /** Alice's state: issued tickets 1 and 2 (for Carol), held tickets 3 (newer) and 4 of Bob. */
    private static byte[] aliceState(long expiresAt) throws IOException {
        return TicketState.encode(
                ALICE.peerId(),
                NETWORK,
                List.of(ticket(CAROL, 1, expiresAt), ticket(CAROL, 2, expiresAt)),
                List.of(
                        new TicketState.Held(
                                List.of(ticket(BOB, 3, expiresAt), ticket(BOB, 4, expiresAt)),
                                List.of(address("127.0.0.2", 7000), address("::1", 7001)))));
    }

    private static ResumptionTickets tickets(SettableClock clock) {
        return new ResumptionTickets(
                clock, ResumptionTickets.DEFAULT_LIFETIME, ResumptionTickets.DEFAULT_MAX_ISSUED);
    }

    private static void assertTicket(Ticket t, LocalIdentity peer, int fill) {
        assertThat(t).isNotNull();
        assertThat(t.id()).isEqualTo(filled(fill, ResumptionTickets.ID_LENGTH));
        assertThat(t.psk()).isEqualTo(filled(fill + 100, TicketState.PSK_LENGTH));
        assertThat(t.peerId()).isEqualTo(peer.peerId());
        assertThat(t.peerKey()).isEqualTo(peer.publicKey());
        assertThat(t.peerCertificate()).isEqualTo(CERTIFICATE);
        assertThat(t.suite()).isEqualTo(SUITE);
        assertThat(t.networkId()).isEqualTo(NETWORK);
    }

    @Test
    void savedThenRestored_issuedAndHeldTickets_comeBackWithTheirAddresses() throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        ResumptionTickets before = tickets(clock);
        assertThat(before.restore(aliceState(START_MS + HOUR), ALICE.peerId(), NETWORK))
                .isEqualTo(4);
        MemoryTicketStore store = new MemoryTicketStore();

        assertThat(before.saveTo(store, ALICE.peerId(), NETWORK)).isEqualTo(4);

        // Moved, not copied: the saving store keeps nothing, and the array it gave is wiped.
        assertThat(before.issuedCount()).isZero();
        assertThat(before.heldCount(BOB.peerId())).isZero();
        assertThat(before.take(address("127.0.0.2", 7000))).isNull();
        assertThat(allZero(store.lastSaved)).isTrue();
        ResumptionTickets after = tickets(clock);
        assertThat(after.restore(store.state, ALICE.peerId(), NETWORK)).isEqualTo(4);
        assertThat(after.issuedCount()).isEqualTo(2);
        assertTicket(after.redeem(filled(1, 32)), CAROL, 1);
        assertTicket(after.redeem(filled(2, 32)), CAROL, 2);
        assertThat(after.redeem(filled(1, 32))).isNull(); // single use, also after a restart
        assertThat(after.heldCount(BOB.peerId())).isEqualTo(2);
        // Found by either address, newest first.
        assertTicket(after.take(address("::1", 7001)), BOB, 3);
        assertTicket(after.take(address("127.0.0.2", 7000)), BOB, 4);
        assertThat(after.take(address("127.0.0.2", 7000))).isNull();
        assertThat(after.take(address("127.0.0.2", 7002))).isNull();
    }

    @Test
    void restore_dropsExpiredTickets_andCapsLifetimesAtTheLimits() throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        long farFuture = START_MS + Duration.ofDays(365).toMillis();
        byte[] state =
                TicketState.encode(
                        ALICE.peerId(),
                        NETWORK,
                        List.of(ticket(CAROL, 1, START_MS), ticket(CAROL, 2, farFuture)),
                        List.of(
                                new TicketState.Held(
                                        List.of(
                                                ticket(BOB, 3, farFuture),
                                                ticket(BOB, 4, START_MS)),
                                        List.of(address("127.0.0.2", 7000)))));
        ResumptionTickets r = tickets(clock);

        assertThat(r.restore(state, ALICE.peerId(), NETWORK)).isEqualTo(2);

        assertThat(r.issuedCount()).isEqualTo(1);
        assertThat(r.heldCount(BOB.peerId())).isEqualTo(1);
        // The issued ticket lives at most this context's lifetime (24 h) from now, the held one
        // at most 7 days.
        clock.set(START_MS + ResumptionTickets.DEFAULT_LIFETIME.toMillis());
        assertThat(r.redeem(filled(2, 32))).isNull();
        clock.set(START_MS + ResumptionTickets.MAX_LIFETIME.toMillis());
        assertThat(r.take(address("127.0.0.2", 7000))).isNull();
        // Controls: just before those limits, they are there.
        SettableClock early = new SettableClock(START_MS);
        ResumptionTickets control = tickets(early);
        control.restore(state, ALICE.peerId(), NETWORK);
        early.set(START_MS + ResumptionTickets.DEFAULT_LIFETIME.toMillis() - 1);
        assertThat(control.redeem(filled(2, 32))).isNotNull();
        early.set(START_MS + ResumptionTickets.MAX_LIFETIME.toMillis() - 1);
        assertThat(control.take(address("127.0.0.2", 7000))).isNotNull();
    }

    @Test
    void restore_ofAnotherKeysOrNetworksState_restoresNothing() throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        byte[] state = aliceState(START_MS + HOUR);
        ResumptionTickets r = tickets(clock);

        // After a key rotation the context has another key: the old key's tickets are not used.
        assertThat(r.restore(state, CAROL.peerId(), NETWORK)).isZero();
        assertThat(r.restore(state, ALICE.peerId(), filled(9, 32))).isZero();
        assertThat(r.restore(state, ALICE.peerId(), new byte[0])).isZero();

        assertThat(r.issuedCount()).isZero();
        assertThat(r.heldCount(BOB.peerId())).isZero();
    }

    /** Writes a state field by field, so that any field can be wrong. */
    private static byte[] write(Consumer<DataOutputStream> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(TicketState.VERSION);
            out.write(ALICE.peerId().toBytes());
            out.writeByte(NETWORK.length);
            out.write(NETWORK);
            body.accept(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void ticketFields(
            DataOutputStream out, int suite, int keyLength, int certificateLength) {
        try {
            out.write(filled(5, 32));
            out.write(filled(6, 32));
            out.writeLong(START_MS + HOUR);
            out.writeShort(suite);
            byte[] key = BOB.subjectPublicKeyInfo();
            out.writeShort(keyLength);
            out.write(key, 0, Math.min(keyLength, key.length));
            out.writeShort(certificateLength);
            out.write(new byte[Math.min(certificateLength, 20_000)]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void good(DataOutputStream out) {
        ticketFields(out, SUITE.id(), BOB.subjectPublicKeyInfo().length, 0);
    }

    private static void u16(DataOutputStream out, int... values) {
        unsigned(out, 2, values);
    }

    private static void u8(DataOutputStream out, int... values) {
        unsigned(out, 1, values);
    }

    private static void unsigned(DataOutputStream out, int width, int... values) {
        try {
            for (int v : values) {
                if (width == 2) {
                    out.writeShort(v);
                } else {
                    out.writeByte(v);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One held peer with one good ticket, then {@code address}. */
    private static byte[] heldWithAddress(Consumer<DataOutputStream> address) {
        return write(
                o -> {
                    u16(o, 0, 1);
                    u8(o, 1);
                    good(o);
                    u16(o, 1);
                    address.accept(o);
                });
    }

    static final Map<String, byte[]> MALFORMED = malformed();

    private static Map<String, byte[]> malformed() {
        Map<String, byte[]> m = new java.util.LinkedHashMap<>();
        byte[] valid = write(o -> u16(o, 0, 0));
        byte[] version = valid.clone();
        version[0] = 2;
        m.put("version", version);
        m.put("issuedCount", write(o -> u16(o, TicketState.MAX_ISSUED + 1)));
        m.put("peerCount", write(o -> u16(o, 0, ResumptionTickets.MAX_HELD_PEERS + 1)));
        m.put("peerTruncated", write(o -> u16(o, 0, 1)));
        m.put(
                "fiveTicketsOfOnePeer",
                write(
                        o -> {
                            u16(o, 0, 1);
                            u8(o, ResumptionTickets.MAX_TICKETS_PER_PEER + 1);
                        }));
        m.put(
                "zeroTicketsOfOnePeer",
                write(
                        o -> {
                            u16(o, 0, 1);
                            u8(o, 0);
                        }));
        m.put(
                "certificateLength",
                write(
                        o -> {
                            u16(o, 1);
                            ticketFields(
                                    o,
                                    SUITE.id(),
                                    BOB.subjectPublicKeyInfo().length,
                                    TicketState.MAX_CERTIFICATE + 1);
                        }));
        m.put(
                "keyLength",
                write(
                        o -> {
                            u16(o, 1);
                            ticketFields(o, SUITE.id(), 0, 0);
                        }));
        m.put(
                "keyNotRsa",
                write(
                        o -> {
                            u16(o, 1);
                            ticketFields(o, SUITE.id(), 40, 0);
                        }));
        m.put(
                "unknownSuite",
                write(
                        o -> {
                            u16(o, 1);
                            ticketFields(o, 0x7777, BOB.subjectPublicKeyInfo().length, 0);
                        }));
        m.put("networkLength", networkLength());
        m.put("truncated", Arrays.copyOf(valid, valid.length - 1));
        m.put("trailing", Arrays.copyOf(valid, valid.length + 1));
        m.put(
                "port0",
                heldWithAddress(
                        o -> {
                            u8(o, 4, 127, 0, 0, 1);
                            u16(o, 0);
                        }));
        m.put(
                "ipLength",
                heldWithAddress(
                        o -> {
                            u8(o, 5, 127, 0, 0, 1, 1);
                            u16(o, 80);
                        }));
        m.put(
                "addressCount",
                write(
                        o -> {
                            u16(o, 0, 1);
                            u8(o, 1);
                            good(o);
                            u16(o, ResumptionTickets.MAX_HELD_PEERS + 1);
                        }));
        m.put("oversized", new byte[ResumptionTicketStore.MAX_STATE_BYTES + 1]);
        return m;
    }

    private static byte[] networkLength() {
        byte[] s = write(o -> u16(o, 0, 0));
        s[1 + PeerId.LENGTH] = 31;
        return s;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "version",
                "issuedCount",
                "peerCount",
                "peerTruncated",
                "fiveTicketsOfOnePeer",
                "zeroTicketsOfOnePeer",
                "certificateLength",
                "keyLength",
                "keyNotRsa",
                "unknownSuite",
                "networkLength",
                "truncated",
                "trailing",
                "port0",
                "ipLength",
                "addressCount",
                "oversized"
            })
    void malformedOrOversizedState_isRefusedWithATypedError_andRestoresNothing(String which) {
        ResumptionTickets r = tickets(new SettableClock(START_MS));
        byte[] state = MALFORMED.get(which);

        assertThatThrownBy(() -> r.restore(state, ALICE.peerId(), NETWORK))
                .isInstanceOf(TicketStateException.class);

        assertThat(r.issuedCount()).isZero();
        assertThat(r.heldCount(BOB.peerId())).isZero();
    }

    @Test
    void controls_theWellFormedStatesOfTheMalformedCases_areAccepted() throws Exception {
        ResumptionTickets r = tickets(new SettableClock(START_MS));
        assertThat(r.restore(write(o -> u16(o, 0, 0)), ALICE.peerId(), NETWORK)).isZero();
        assertThat(
                        r.restore(
                                heldWithAddress(
                                        o -> {
                                            u8(o, 4, 127, 0, 0, 1);
                                            u16(o, 80);
                                        }),
                                ALICE.peerId(),
                                NETWORK))
                .isEqualTo(1);
        assertThat(r.take(address("127.0.0.1", 80))).isNotNull();
    }

    @Test
    void build_takesTheStoreOnce_restoresItsTickets_andWipesTheState() throws Exception {
        MemoryTicketStore store = new MemoryTicketStore();
        store.state = aliceState(System.currentTimeMillis() + HOUR);

        SecureChannelContext c = builder(ALICE, store).build();

        assertThat(store.takes).isEqualTo(1);
        assertThat(allZero(store.lastTaken)).isTrue();
        assertThat(ResumptionTest.tickets(c).issuedCount()).isEqualTo(2);
        assertThat(ResumptionTest.tickets(c).heldCount(BOB.peerId())).isEqualTo(2);

        assertThat(c.saveResumptionTickets()).isEqualTo(4);
        assertThat(ResumptionTest.tickets(c).issuedCount()).isZero();
        assertThat(allZero(store.lastSaved)).isTrue();
        // A second save finds nothing and keeps what the store has.
        assertThat(c.saveResumptionTickets()).isZero();
        assertThat(store.saves).isEqualTo(1);
        assertThat(store.state).isNotNull();
    }

    @Test
    void withResumptionOff_theStoreIsNeitherTakenNorSaved() throws Exception {
        MemoryTicketStore store = new MemoryTicketStore();
        store.state = aliceState(System.currentTimeMillis() + HOUR);
        SecureChannelContext c = builder(ALICE, store).resumption(false).build();

        assertThat(c.saveResumptionTickets()).isZero();
        assertThat(store.takes).isZero();
        assertThat(store.saves).isZero();
    }

    private static SecureChannelContext.Builder builder(
            LocalIdentity id, ResumptionTicketStore store) {
        return SecureChannelContext.builder(id)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .networkId(NETWORK)
                .resumptionTicketStore(store);
    }

    private static SecureChannelContext loopbackContext(
            LocalIdentity id, ResumptionTicketStore store) {
        return builder(id, store).build();
    }

    private static SecureSession session(LoopbackPair.Recorder app) throws Exception {
        return ResumptionLoopbackTest.session(app);
    }

    /**
     * Alice dials Bob over 127.0.0.1; both save at a clean shutdown; new contexts built from the
     * stores (a restart of both) resume at once, Bob listening on the same address again.
     */
    @Test
    void cleanRestartOfBothSides_nextConnectionResumes() throws Exception {
        MemoryTicketStore aliceStore = new MemoryTicketStore();
        MemoryTicketStore bobStore = new MemoryTicketStore();
        SecureChannelContext alice = loopbackContext(ALICE, aliceStore);
        SecureChannelContext bob = loopbackContext(BOB, bobStore);
        List<LoopbackPair.Recorder> bobApps = new CopyOnWriteArrayList<>();
        InetSocketAddress bobAddress;
        try (LoopbackPair pair = new LoopbackPair(bob, () -> add(bobApps))) {
            bobAddress = pair.address();
            LoopbackPair.Recorder app = new LoopbackPair.Recorder();
            Channel ch = pair.connect(alice, app);
            assertThat(session(app).resumed()).isFalse();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> ResumptionTest.tickets(alice).heldCount(BOB.peerId()) == 1);
            ch.close().sync();
        }
        assertThat(alice.saveResumptionTickets()).isEqualTo(1);
        assertThat(bob.saveResumptionTickets()).isEqualTo(1);

        SecureChannelContext alice2 = loopbackContext(ALICE, aliceStore);
        SecureChannelContext bob2 = loopbackContext(BOB, bobStore);
        assertThat(aliceStore.state).isNull();
        assertThat(bobStore.state).isNull();
        bobApps.clear();
        try (LoopbackPair pair = new LoopbackPair(bobAddress, bob2, () -> add(bobApps))) {
            LoopbackPair.Recorder app = new LoopbackPair.Recorder();
            Channel ch = pair.connect(alice2, app);
            SecureSession resumed = session(app);
            assertThat(resumed.resumed()).isTrue();
            assertThat(resumed.peerId()).isEqualTo(BOB.peerId());
            await().atMost(Duration.ofSeconds(10)).until(() -> !bobApps.isEmpty());
            assertThat(session(bobApps.get(0)).resumed()).isTrue();
            ch.close().sync();
        }
    }

    private static LoopbackPair.Recorder add(List<LoopbackPair.Recorder> apps) {
        LoopbackPair.Recorder r = new LoopbackPair.Recorder();
        apps.add(r);
        return r;
    }
}
