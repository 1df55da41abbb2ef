package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.NewTicket;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Resumption under attack (docs/protocol.md 5.11): a replayed resumed flight 1, a ticket stolen
 * after its use or after its expiry, and tickets sent where none may be. A replay or a stolen
 * ticket meets a full handshake the attacker cannot complete, never a resumed session; a misplaced
 * ticket closes the channel. Runs in both arenas: {@link ResumptionAttacksEmbeddedTest} and {@link
 * ResumptionAttacksLoopbackTest}.
 */
abstract class ResumptionAttacks extends ArenaTest {
    private static final LocalIdentity ALICE = TestIdentities.get("alice");

    /** The arena's context builder for {@code id}, with resumption on. */
    private SecureChannelContext.Builder with(LocalIdentity id) {
        return arena.context(id).resumption(true);
    }

    /** An evil peer facing an honest initiator that asks for tickets. */
    private Arena.Duel evilResponder() {
        return arena.evilResponder(
                with(Arena.HONEST).build(), with(Arena.EVIL).build(), Bugs.none());
    }

    /** A verifier that accepts Alice only. */
    private static PeerVerifier onlyAlice() {
        return peer -> {
            if (!peer.peerId().equals(ALICE.peerId())) {
                throw new PeerVerificationException(ErrorCode.UNKNOWN_IDENTITY, "not Alice");
            }
        };
    }

    /** The honest responder Bob: accepts Alice only. */
    private SecureChannelContext bob(SettableClock clock) {
        return with(Arena.HONEST).peerVerifier(onlyAlice()).clock(clock).build();
    }

    /** Alice (played by an EvilPeer without bugs) completes a handshake and keeps the ticket. */
    private Ticket ticketFor(SecureChannelContext bob, SecureChannelContext alice)
            throws Exception {
        try (Arena.Duel d = arena.evilInitiator(bob, alice, Bugs.none())) {
            d.evil.handshake();
            d.awaitSession();
            d.evil.receive(); // the NewTicket: Bob's first record
            return d.evil.receivedTicket().orElseThrow();
        }
    }

    /** A copy of {@code t} (whose PSK a handshake will wipe): what a thief would keep. */
    private static Ticket copy(Ticket t) {
        return new Ticket(
                t.id(),
                t.psk(),
                t.peerId(),
                t.peerKey(),
                t.peerCertificate(),
                t.suite(),
                t.networkId(),
                Long.MAX_VALUE);
    }

    private static HelloMessage helloIn(byte[] frame) throws Exception {
        return HelloMessage.parseFrom(EvilPeer.payload(frame));
    }

    @Test
    void replayedResumedFlight1_getsAFullHandshake_andNoSession() throws Exception {
        SecureChannelContext bob = bob(new SettableClock(System.currentTimeMillis()));
        SecureChannelContext alice = with(ALICE).build();
        Ticket ticket = ticketFor(bob, alice);
        byte[] flight1;
        byte[] flight3;
        try (Arena.Duel d = arena.evilInitiator(bob, alice, Bugs.none())) {
            d.evil.offering(ticket).handshake();
            assertThat(d.awaitSession().resumed()).isTrue();
            flight1 = d.evil.sent.get(0);
            flight3 = d.evil.sent.get(1);
        }
        try (Arena.Duel d = arena.evilInitiator(bob, with(Arena.EVIL).build(), Bugs.none())) {
            d.evil.writeRaw(flight1);
            HelloMessage answer = helloIn(d.evil.expect(ContentType.HELLO));
            assertThat(answer.getResponderHello().getPskAccepted()).isFalse();
            d.evil.writeRaw(flight3);
            d.assertClosed(ErrorCode.BAD_RECORD_MAC);
            d.assertNoSession();
        }
    }

    @Test
    void ticketStolenAfterItsUse_isUseless() throws Exception {
        SecureChannelContext bob = bob(new SettableClock(System.currentTimeMillis()));
        SecureChannelContext alice = with(ALICE).build();
        Ticket ticket = ticketFor(bob, alice);
        Ticket stolen = copy(ticket);
        try (Arena.Duel d = arena.evilInitiator(bob, alice, Bugs.none())) {
            d.evil.offering(ticket).handshake();
            assertThat(d.awaitSession().resumed()).isTrue();
        }
        assertThiefGetsAFullHandshakeAndIsRefused(bob, stolen);
    }

    @Test
    void ticketStolenAfterItsExpiry_isUseless() throws Exception {
        SettableClock clock = new SettableClock(System.currentTimeMillis());
        SecureChannelContext bob = bob(clock);
        Ticket stolen = copy(ticketFor(bob, with(ALICE).build()));
        clock.advance(Duration.ofHours(24).toMillis());
        assertThiefGetsAFullHandshakeAndIsRefused(bob, stolen);
    }

    /**
     * Mallory offers the stolen ticket: Bob does not resume, so she must authenticate as herself in
     * the full handshake, and Bob (who accepts Alice only) refuses her.
     */
    private void assertThiefGetsAFullHandshakeAndIsRefused(SecureChannelContext bob, Ticket stolen)
            throws Exception {
        try (Arena.Duel d = arena.evilInitiator(bob, with(Arena.EVIL).build(), Bugs.none())) {
            d.evil.offering(stolen).attemptHandshake();
            assertThat(helloIn(d.evil.received.get(0)).getResponderHello().getPskAccepted())
                    .isFalse();
            d.assertClosed(ErrorCode.UNKNOWN_IDENTITY);
            d.assertNoSession();
        }
    }

    private static ControlMessage newTicket(int idLength) {
        return ControlMessage.newBuilder()
                .setNewTicket(
                        NewTicket.newBuilder()
                                .setTicketId(ByteString.copyFrom(new byte[idLength]))
                                .setTicketNonce(ByteString.copyFrom(new byte[16]))
                                .setLifetimeS(60))
                .build();
    }

    /** The evil peer completes the handshake, sends {@code tickets}, and the honest peer closes. */
    private static void assertRefused(Arena.Duel d, ErrorCode expected, ControlMessage... tickets)
            throws Exception {
        try (d) {
            d.evil.handshake();
            for (ControlMessage t : tickets) {
                d.evil.sendControl(t);
            }
            d.assertClosed(expected);
        }
    }

    @Test
    void newTicket_toAResponder_isUnexpected() throws Exception {
        assertRefused(
                arena.evilInitiator(
                        with(Arena.HONEST).build(), with(Arena.EVIL).build(), Bugs.none()),
                ErrorCode.UNEXPECTED_MESSAGE,
                newTicket(32));
    }

    @Test
    void newTicket_toAnInitiatorThatDidNotAsk_isUnexpected() throws Exception {
        SecureChannelContext honest = arena.context(Arena.HONEST).resumption(false).build();
        assertRefused(
                arena.evilResponder(honest, with(Arena.EVIL).build(), Bugs.none()),
                ErrorCode.UNEXPECTED_MESSAGE,
                newTicket(32));
    }

    @Test
    void secondNewTicket_onOneChannel_isUnexpected() throws Exception {
        assertRefused(evilResponder(), ErrorCode.UNEXPECTED_MESSAGE, newTicket(32), newTicket(32));
    }

    @Test
    void malformedNewTicket_isMalformed() throws Exception {
        assertRefused(evilResponder(), ErrorCode.MALFORMED, newTicket(31));
    }
}
