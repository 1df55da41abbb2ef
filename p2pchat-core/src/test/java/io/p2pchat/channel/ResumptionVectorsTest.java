package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.FixedEntropy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The golden vector of a resumed handshake (docs/protocol.md 5.11, 15): a full hybrid handshake
 * with fixed entropy, the ticket the responder issues after it, then the resumed handshake with
 * that ticket: every frame, the PSK, the early and handshake secrets, the transcript, the
 * application secrets and the exporter. Checked through the protocol classes and, frame for frame,
 * through the Netty handlers.
 *
 * <p>Regenerate (only after a deliberate protocol change) with {@code
 * -Dp2pchat.vectors.regenerate=true}; the RSA keys in the file are then kept.
 */
class ResumptionVectorsTest {
    private static final String NAME = "handshake-resumed";
    private static final HexFormat HEX = HexFormat.of();
    private static final Clock CLOCK = HandshakeVectorsTest.CLOCK;
    private static final byte[] NETWORK_ID = HandshakeVectorsTest.NETWORK_ID;
    private static final byte[] CERT_I = HandshakeVectorsTest.CERT_I;
    private static final byte[] CERT_R = HandshakeVectorsTest.CERT_R;
    private static final CipherSuite SUITE = CipherSuite.X25519_MLKEM768_AES_128_GCM_SHA256;

    @Test
    void resumedHandshake_withFixedEntropy_reproducesCommittedVector() throws Exception {
        Map<String, String> committed = HandshakeVectorsTest.load(NAME);
        boolean regenerate =
                Boolean.getBoolean("p2pchat.vectors.regenerate") || committed.isEmpty();
        LocalIdentity i = HandshakeVectorsTest.key(committed, "initiator_rsa_pkcs8");
        LocalIdentity r = HandshakeVectorsTest.key(committed, "responder_rsa_pkcs8");
        Map<String, String> computed = compute(i, r);
        if (regenerate) {
            HandshakeVectorsTest.write(NAME, computed);
            committed = computed;
        }
        assertThat(computed).containsExactlyEntriesOf(committed);
        assertThat(throughHandlers(i, r))
                .containsExactly(
                        committed.get("full_flight1_frame"),
                        committed.get("full_flight2a_frame"),
                        committed.get("full_flight2b_frame"),
                        committed.get("full_flight3_frame"),
                        committed.get("new_ticket_frame"),
                        committed.get("flight1_frame"),
                        committed.get("flight2a_frame"),
                        committed.get("flight2b_frame"),
                        committed.get("flight3_frame"),
                        committed.get("new_ticket2_frame"));
    }

    private static SecureChannelContext.Builder context(
            LocalIdentity id, String entropy, byte[] cert) {
        return EmbeddedPair.context(id)
                .delegatedCredentials(false)
                .clock(CLOCK)
                .networkId(NETWORK_ID)
                .certificateSource(() -> cert.clone())
                .secureRandom(new FixedEntropy(entropy));
    }

    private static SecureChannelContext initiatorContext(LocalIdentity i) {
        return context(i, "p2pchat/1 resumption vector initiator", CERT_I)
                .cipherSuites(SUITE)
                .listenAddress("127.0.0.1:7001")
                .build();
    }

    private static SecureChannelContext responderContext(LocalIdentity r) {
        return context(r, "p2pchat/1 resumption vector responder", CERT_R).build();
    }

    private static Map<String, String> compute(LocalIdentity i, LocalIdentity r) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("suite", String.format("0x%04x", SUITE.id()));
        out.put("initiator_rsa_pkcs8", HEX.formatHex(i.privateKey().getEncoded()));
        out.put("responder_rsa_pkcs8", HEX.formatHex(r.privateKey().getEncoded()));
        out.put("clock_ms", Long.toString(CLOCK.millis()));
        SecureChannelContext ci = initiatorContext(i);
        SecureChannelContext cr = responderContext(r);
        FixedEntropy rngI = (FixedEntropy) ci.settings().random();
        FixedEntropy rngR = (FixedEntropy) cr.settings().random();
        var alloc = UnpooledByteBufAllocator.DEFAULT;

        // 1. The full handshake, and the ticket the responder issues after it.
        InitiatorHandshake ih = new InitiatorHandshake(ci.settings().handshake(), rngI);
        ResponderHandshake rh = new ResponderHandshake(cr.settings().handshake(), rngR);
        Flights full = run(ih, rh, "full_", out);
        Ticket ticket = ticketFrom(full, rngR, cr, out, "");
        full.initiator.destroy();
        full.responder.destroy();

        // 2. The resumed handshake.
        ih = new InitiatorHandshake(ci.settings().handshake(), rngI, ticket);
        rh = new ResponderHandshake(cr.settings().handshake(), rngR);
        Flights resumed = run(ih, rh, "", out);
        assertThat(ih.resumed).isTrue();
        assertThat(rh.resumed).isTrue();
        out.put(
                "early_secret",
                HEX.formatHex(KeySchedule.earlySecret(HEX.parseHex(out.get("psk")))));
        Established ei = resumed.initiator;
        Established er = resumed.responder;
        out.put("transcript_hash", HEX.formatHex(ei.transcriptHash));
        byte[][] traffic = HandshakeVectorsTest.agreedTraffic(ei, er);
        byte[] iTraffic = traffic[0];
        out.put("i_ap_epoch1_secret", HEX.formatHex(iTraffic));
        out.put("r_ap_epoch1_secret", HEX.formatHex(traffic[1]));
        out.put("exporter_secret", HEX.formatHex(ei.exporterSecret.copy()));
        out.put("exporter_test_ctx_32", HandshakeVectorsTest.exportTest(ei));
        RecordWriter appI = new RecordWriter(SUITE.keyLengthBytes());
        appI.install(1, iTraffic);
        out.put(
                "first_record_i_to_r_hello",
                HandshakeVectorsTest.hex(
                        appI.seal(
                                alloc,
                                ContentType.APPLICATION_DATA,
                                "hello".getBytes(StandardCharsets.US_ASCII))));
        // The resumed session issues the next ticket, as the handlers do.
        ticketFrom(resumed, rngR, cr, out, "2").destroy();
        out.put("initiator_entropy_drawn", HEX.formatHex(rngI.drawn()));
        out.put("responder_entropy_drawn", HEX.formatHex(rngR.drawn()));
        ei.destroy();
        er.destroy();
        return out;
    }

    /** Both sides' results of one handshake. */
    private record Flights(Established initiator, Established responder) {}

    /** Runs one handshake through the protocol classes, recording its frames and secrets. */
    private static Flights run(
            InitiatorHandshake ih, ResponderHandshake rh, String prefix, Map<String, String> out)
            throws Exception {
        var alloc = UnpooledByteBufAllocator.DEFAULT;
        int keyLength = SUITE.keyLengthBytes();
        byte[] hello1 = ih.start();
        out.put(
                prefix + "flight1_frame",
                HandshakeVectorsTest.hex(
                        RecordWriter.plaintextFrame(alloc, ContentType.HELLO, hello1)));
        rh.onInitiatorHello(hello1);
        rh.agree();
        byte[] authR = rh.buildAuth(CERT_R);
        out.put(
                prefix + "flight2a_frame",
                HandshakeVectorsTest.hex(
                        RecordWriter.plaintextFrame(
                                alloc, ContentType.HELLO, rh.responderHello())));
        if (prefix.isEmpty()) {
            out.put("handshake_secret", HEX.formatHex(rh.handshakeSecret));
            out.put("i_hs_traffic", HEX.formatHex(rh.receiveHandshakeSecret()));
            out.put("r_hs_traffic", HEX.formatHex(rh.sendHandshakeSecret()));
            out.put("flight2b_plaintext", HEX.formatHex(authR));
        }
        RecordWriter writerR = new RecordWriter(keyLength);
        writerR.install(0, rh.sendHandshakeSecret());
        ByteBuf frame2b = writerR.seal(alloc, ContentType.HANDSHAKE, authR);
        out.put(prefix + "flight2b_frame", HEX.formatHex(ByteBufUtil.getBytes(frame2b)));
        HandshakeVectorsTest.readResponderFlight(ih, rh.responderHello(), frame2b, keyLength);
        byte[] authI = ih.buildAuth(CERT_I);
        if (prefix.isEmpty()) {
            out.put("flight3_plaintext", HEX.formatHex(authI));
        }
        RecordWriter writerI = new RecordWriter(keyLength);
        writerI.install(0, ih.sendHandshakeSecret());
        out.put(
                prefix + "flight3_frame",
                HandshakeVectorsTest.hex(writerI.seal(alloc, ContentType.HANDSHAKE, authI)));
        Established ei = ih.established();
        rh.onInitiatorAuth(authI);
        Established er = rh.established();
        return new Flights(ei, er);
    }

    /**
     * The responder issues a ticket from the session (its draws: ticket_id 32, ticket_nonce 16),
     * sealed as the first record of epoch 1; the initiator's copy of it is returned.
     */
    private static Ticket ticketFrom(
            Flights session,
            FixedEntropy rngR,
            SecureChannelContext cr,
            Map<String, String> out,
            String suffix) {
        Established ei = session.initiator;
        Established er = session.responder;
        byte[] initiatorResumption = ei.resumptionSecret.copy();
        out.put("resumption_secret" + suffix, HEX.formatHex(initiatorResumption));
        assertThat(er.resumptionSecret.copy()).isEqualTo(initiatorResumption);
        byte[] plaintext = cr.settings().handshake().tickets().issue(er, rngR);
        io.p2pchat.proto.NewTicket message;
        try {
            message = io.p2pchat.proto.ControlMessage.parseFrom(plaintext).getNewTicket();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        out.put("new_ticket" + suffix + "_plaintext", HEX.formatHex(plaintext));
        RecordWriter writer = new RecordWriter(SUITE.keyLengthBytes());
        writer.install(1, er.sendTrafficSecret.copy());
        out.put(
                "new_ticket" + suffix + "_frame",
                HandshakeVectorsTest.hex(
                        writer.seal(
                                UnpooledByteBufAllocator.DEFAULT, ContentType.CONTROL, plaintext)));
        byte[] psk =
                KeySchedule.ticketPsk(initiatorResumption, message.getTicketNonce().toByteArray());
        out.put("psk" + suffix, HEX.formatHex(psk));
        return new Ticket(
                message.getTicketId().toByteArray(),
                psk,
                ei.peerId,
                ei.peerPublicKey,
                ei.peerCertificate,
                ei.suite,
                ei.peerNetworkId,
                CLOCK.millis() + message.getLifetimeS() * 1000L);
    }

    /** The same two handshakes through the Netty handlers: every frame, in order. */
    private static List<String> throughHandlers(LocalIdentity i, LocalIdentity r) {
        SecureChannelContext ci = initiatorContext(i);
        SecureChannelContext cr = responderContext(r);
        List<String> frames = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            try (EmbeddedPair pair = new EmbeddedPair(ci, cr)) {
                pair.tap(
                        (dir, idx, frame) -> {
                            frames.add(HEX.formatHex(ByteBufUtil.getBytes(frame)));
                            return frame;
                        });
                assertThat(pair.handshake().orElseThrow().resumed()).isEqualTo(n == 1);
            }
        }
        return frames;
    }
}
