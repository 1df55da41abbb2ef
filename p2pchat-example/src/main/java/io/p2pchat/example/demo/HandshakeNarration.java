package io.p2pchat.example.demo;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.example.text.Words;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificate;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.node.NodePeer;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Part 4 of the demo: one connection told step by step, as the original design's four buttons named
 * them (connect, fetch keys from the ledger, authenticate, agree keys), with what each side
 * checked.
 */
final class HandshakeNarration {
    private final Narrator n;
    private final int keyBits;
    private final Map<String, Long> handshakeMillis;

    HandshakeNarration(Narrator n, int keyBits, Map<String, Long> handshakeMillis) {
        this.n = n;
        this.keyBits = keyBits;
        this.handshakeMillis = handshakeMillis;
    }

    // ------------------------------------------------------------------ 4. one handshake

    void handshake(Person a, Person c) throws Exception {
        n.section("4. " + a.name + " connects to " + c.name + ", step by step");
        IdentityRecord target = a.node.resolve(c.name).orElseThrow();
        n.say(
                a.name
                        + " looks up '"
                        + c.name
                        + "' in "
                        + a.name
                        + "'s own replica of the ledger: identity "
                        + target.id().shortId()
                        + ", address "
                        + escape(target.addresses().get(0).hostAndPort())
                        + ".");
        long t0 = System.nanoTime();
        NodePeer ac =
                a.node.node().connect(target.id()).get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        handshakeMillis.put(a.name + " -> " + c.name + " (shown step by step)", ms);
        NodePeer ca = c.peerOf(a);
        SecureSession as = ac.session();
        SecureSession cs = ca.session();

        n.say("  1. connect");
        n.say(
                Narrator.INDENT
                        + a.name
                        + " -> "
                        + c.name
                        + "  HELLO, in clear: protocol version 1, "
                        + a.node.node().context().cipherSuites().size()
                        + " cipher suites (hybrid post-quantum first), an X25519 share (32 B), an"
                        + " ML-KEM-768 encapsulation key (1184 B), the network id, and her listen"
                        + " address");
        n.say(
                Narrator.INDENT
                        + Narrator.INDENT
                        + c.name
                        + " received the listen address "
                        + escape(cs.peerListenAddress().orElse("(none)")));
        n.say(
                Narrator.INDENT
                        + c.name
                        + " -> "
                        + a.name
                        + "  HELLO: picks "
                        + cs.cipherSuite()
                        + ", sends her X25519 share and an ML-KEM-768 ciphertext (1088 B);"
                        + " everything after this is encrypted");

        n.say("  2. fetch keys from the ledger");
        describeCertificate(c, a, cs);
        describeCertificate(a, c, as);

        n.say("  3. authenticate");
        n.say(
                Narrator.INDENT
                        + "each side signed the handshake transcript (both hellos, its identity and"
                        + " certificate) with its RSA-"
                        + keyBits
                        + " key, RSASSA-PSS with SHA-256:");
        n.say(
                Narrator.INDENT
                        + Narrator.INDENT
                        + c.name
                        + " verified "
                        + a.name
                        + "'s signature with the key of "
                        + a.name
                        + "'s ledger record: OK");
        n.say(
                Narrator.INDENT
                        + Narrator.INDENT
                        + a.name
                        + " verified "
                        + c.name
                        + "'s signature the same way: OK (and both Finished MACs)");

        n.say("  4. agree keys");
        n.say(
                Narrator.INDENT
                        + "ML-KEM-768 secret (32 B) || X25519 secret (32 B) -> HKDF-SHA256 -> one "
                        + (as.cipherSuite().isAes256() ? "AES-256-GCM" : "AES-128-GCM")
                        + " key per direction. The RSA keys only sign: a stolen RSA key does not"
                        + " decrypt this session.");
        boolean same = as.sessionFingerprint().equals(cs.sessionFingerprint());
        n.check(same, "session fingerprints equal");
        n.say(
                Narrator.INDENT
                        + "session fingerprint  "
                        + a.name
                        + ": "
                        + as.sessionFingerprint()
                        + "  "
                        + c.name
                        + ": "
                        + (same ? "the same: OK" : cs.sessionFingerprint() + "  DIFFERENT"));
        n.say(
                "  handshake done in "
                        + ms
                        + " ms (TCP connect, three flights, two RSA signatures).");
    }

    /** How {@code verifier} checked the key and certificate {@code subject} presented. */
    private void describeCertificate(Person verifier, Person subject, SecureSession session)
            throws Exception {
        Ledger l = verifier.node.ledger();
        PeerId key = session.peerId();
        IdentityRecord rec = l.identityByKey(key).orElseThrow();
        long conf = l.confirmations(rec.currentKeyRecord().block());
        String proof;
        try {
            LedgerCertificate cert = LedgerCertificate.decode(session.peerCertificate());
            PeerId id = cert.verifyInclusion(l.parameters(), key);
            int hashes =
                    io.p2pchat.proto.LedgerCertificate.parseFrom(cert.encode()).getProofCount();
            boolean here = l.confirmations(cert.blockHash()) > 0 && id.equals(rec.id());
            n.check(here, subject.name + "'s certificate verifies");
            proof =
                    subject.name
                            + " stapled its ledger certificate (the registration and a Merkle proof"
                            + " of "
                            + Words.count(hashes, "hash", "hashes")
                            + "); "
                            + verifier.name
                            + " verified it against block #"
                            + cert.blockHeader().height()
                            + "'s Merkle root: "
                            + (here ? "OK" : "FAILED");
        } catch (PeerVerificationException e) {
            n.fail();
            proof = "certificate FAILED: " + escape(e.getMessage());
        }
        n.say(
                Narrator.INDENT
                        + verifier.name
                        + " looks the key "
                        + subject.name
                        + " presented ("
                        + key.shortId()
                        + ") up in "
                        + verifier.name
                        + "'s own ledger: identity '"
                        + escape(rec.displayName().orElse("?"))
                        + "', registered in block #"
                        + rec.registeredAtHeight()
                        + " ("
                        + rec.currentKeyRecord().block().shortHex()
                        + "), "
                        + conf
                        + " confirmations (k = "
                        + l.parameters().confirmations()
                        + "), not revoked");
        n.say(Narrator.INDENT + Narrator.INDENT + proof);
    }
}
