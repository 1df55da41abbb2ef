package io.p2pchat.example.event;

import static io.p2pchat.example.text.TerminalText.escape;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.p2pchat.channel.HandshakeTimings;
import io.p2pchat.channel.KeyRotatedEvent;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.example.text.Words;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.node.NodePeer;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The steps of each secure channel as {@code handshake} events, in the words of the original
 * design's four buttons: the TCP connection, the peer's key and certificate checked against the
 * ledger (its block and confirmations), authentication by signature, key agreement; then every
 * ratchet, key update and rekey of the session as it happens. {@link Event.Form#DETAIL}: the web
 * page shows them; the console shows the same facts through {@code /peers}, {@code /whois} and the
 * demo.
 *
 * <p>The library reports a channel once its handshake is complete, so the four steps are published
 * together then, with what each established and, as {@code ms}, how long it took: the dial's TCP
 * connect ({@link NodePeer#connectTime()}, outbound only; the step also carries {@code hello_ms}
 * and {@code handshake_ms}), the peer verifier's ledger lookup, the signature check and the key
 * agreement ({@link HandshakeTimings}), each measured on this side. The key changes come from the
 * channel's {@link KeyRotatedEvent}s, through a handler added last in its pipeline, on its event
 * loop; it only publishes (never blocks) and forwards the event.
 */
public final class SessionEvents {
    static final String HANDLER_NAME = "p2pchat-ui-key-changes";

    private final EventSink out;
    private final Ledger ledger;

    /** Steps published to {@code out}; the certificate step reads {@code ledger}. */
    public SessionEvents(EventSink out, Ledger ledger) {
        this.out = out;
        this.ledger = ledger;
    }

    /** {@code peer}'s channel is established: its four steps, and its key changes from now on. */
    public void connected(NodePeer peer, String who) {
        SecureSession s = peer.session();
        Optional<HandshakeTimings> t = s.handshakeTimings();
        boolean inbound = !peer.localRole().name().equals("INITIATOR");
        String remote = ChatEvents.address(peer.remoteAddress());
        step(
                peer,
                who,
                "tcp",
                (inbound
                                ? "a TCP connection from " + remote
                                : "a TCP connection to " + remote + "; both hellos exchanged")
                        + t.map(x -> "; the handshake took " + millis(x.total()) + " ms")
                                .orElse(""),
                "address",
                remote,
                "direction",
                inbound ? "inbound" : "outbound",
                "ms",
                peer.connectTime().map(SessionEvents::millis).orElse(null),
                "hello_ms",
                t.map(x -> millis(x.hello())).orElse(null),
                "handshake_ms",
                t.map(x -> millis(x.total())).orElse(null));
        certificate(peer, who, t.map(x -> millis(x.peerVerification())).orElse(null));
        step(
                peer,
                who,
                "authentication",
                (s.resumed()
                        ? "no signature: a single-use resumption ticket from an earlier"
                                + " handshake, proved in both Finished messages; the identity"
                                + " it names checked against the ledger again (RSA-"
                                + s.peerPublicKey().getModulus().bitLength()
                                + " key)"
                        : s.delegatedCredentials()
                                ? "Ed25519 signature over the handshake transcript, by a"
                                        + " short-lived key the ledger's RSA-"
                                        + s.peerPublicKey().getModulus().bitLength()
                                        + " key certified; ours verified by the peer"
                                : "RSA-PSS (SHA-256) signature over the handshake transcript"
                                        + " verified with the ledger's RSA-"
                                        + s.peerPublicKey().getModulus().bitLength()
                                        + " key; ours verified by the peer"),
                "key_bits",
                s.peerPublicKey().getModulus().bitLength(),
                "resumed",
                s.resumed(),
                "ms",
                t.map(x -> millis(x.signature())).orElse(null));
        step(
                peer,
                who,
                "key_agreement",
                (s.cipherSuite().isHybrid() ? "X25519 + ML-KEM-768" : "X25519")
                        + " \u2192 HKDF-SHA256 \u2192 "
                        + (s.cipherSuite().isAes256() ? "AES-256-GCM" : "AES-128-GCM")
                        + " per direction ("
                        + s.cipherSuite()
                        + ")",
                "suite",
                s.cipherSuite().name(),
                "session_fingerprint",
                s.sessionFingerprint(),
                "ms",
                t.map(x -> millis(x.keyAgreement())).orElse(null));
        watchKeyChanges(s.channel().pipeline(), peer, who);
    }

    /**
     * A connected peer's registration is now confirmed on this ledger: the certificate step again,
     * with its block and confirmations (at the handshake, the key was not confirmed yet).
     */
    public void confirmed(NodePeer peer, String who) {
        certificate(peer, who, null);
    }

    /** Milliseconds with two decimals: key agreement and verification take less than one. */
    static double millis(Duration d) {
        return Math.round(d.toNanos() / 10_000.0) / 100.0;
    }

    /**
     * The certificate step; {@code ms} is how long the peer verifier (the ledger lookup) took in
     * the handshake, null when it is reported again later.
     */
    private void certificate(NodePeer peer, String who, @Nullable Double ms) {
        Optional<IdentityRecord> rec = peer.identity();
        if (rec.isEmpty()) {
            step(
                    peer,
                    who,
                    "certificate",
                    "key "
                            + peer.keyId().shortId()
                            + " is not registered on this ledger yet: the channel syncs the ledger"
                            + " only, until its registration is confirmed",
                    "state",
                    "running",
                    "ms",
                    ms);
        } else {
            IdentityRecord r = rec.get();
            IdentityRecord.KeyRecord key =
                    r.keyHistory().stream()
                            .filter(k -> k.keyId().equals(peer.keyId()))
                            .findFirst()
                            .orElse(r.currentKeyRecord());
            long confirmations = ledger.confirmations(key.block());
            step(
                    peer,
                    who,
                    "certificate",
                    "key "
                            + peer.keyId().shortId()
                            + " is the current key of identity "
                            + r.id().shortId()
                            + " on the ledger: block #"
                            + key.height()
                            + ", "
                            + Words.count((int) Math.min(confirmations, 1_000_000), "confirmation")
                            + ", with its Merkle inclusion proof",
                    "identity_id",
                    r.id().toHex(),
                    "block",
                    key.height(),
                    "confirmations",
                    confirmations,
                    "ms",
                    ms);
        }
    }

    private void watchKeyChanges(ChannelPipeline pipeline, NodePeer peer, String who) {
        if (pipeline.get(HANDLER_NAME) != null) {
            return;
        }
        try {
            pipeline.addLast(
                    HANDLER_NAME,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt)
                                throws Exception {
                            if (evt instanceof KeyRotatedEvent k) {
                                keyChanged(peer, who, k);
                            }
                            super.userEventTriggered(ctx, evt);
                        }
                    });
        } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
            // added meanwhile, or the channel closed: nothing to watch
        }
    }

    private void keyChanged(NodePeer peer, String who, KeyRotatedEvent k) {
        String step = k.kind().name().toLowerCase(Locale.ROOT);
        String direction = k.direction() == KeyRotatedEvent.Direction.OUTBOUND ? "send" : "receive";
        String detail =
                switch (k.kind()) {
                    case RATCHET ->
                            "the "
                                    + direction
                                    + " key ratcheted to epoch "
                                    + k.epoch()
                                    + "; the old key is erased";
                    case KEY_UPDATE ->
                            "the " + direction + " key was updated on request, epoch " + k.epoch();
                    case REKEY ->
                            "a fresh X25519 + ML-KEM exchange inside the channel; "
                                    + direction
                                    + " epoch "
                                    + k.epoch();
                };
        step(peer, who, step, detail, "direction", direction, "epoch", k.epoch());
    }

    private void step(NodePeer peer, String who, String step, String detail, Object... more) {
        Object[] fields = new Object[12 + more.length];
        fields[0] = "peer";
        fields[1] = who;
        fields[2] = "step";
        fields[3] = step;
        fields[4] = "detail";
        fields[5] = detail;
        fields[6] = "state";
        fields[7] = "done";
        fields[8] = "at_ms";
        fields[9] = System.currentTimeMillis();
        fields[10] = "key_id";
        fields[11] = peer.keyId().toHex();
        System.arraycopy(more, 0, fields, 12, more.length);
        out.publish(
                Event.of(
                        Event.Form.DETAIL,
                        "handshake",
                        escape(who) + ": " + step + ": " + escape(detail),
                        fields));
    }
}
