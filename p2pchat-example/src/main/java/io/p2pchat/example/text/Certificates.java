package io.p2pchat.example.text;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.LedgerCertificate;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.IdentityRecord;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An identity's certificate (the transaction that installed its current key, its block header and
 * the Merkle inclusion proof, docs/ledger.md §5.2 and §10) checked against the local ledger, for
 * {@code p2pchat ledger proof} and the console's {@code /whois}.
 *
 * @param certificate the certificate
 * @param ok whether it verified and names {@code rec}'s identity
 * @param verdict the check's outcome in words
 */
public record Certificates(LedgerCertificate certificate, boolean ok, String verdict) {
    private static final HexFormat HEX = HexFormat.of();

    /** Checks {@code c}, the certificate of {@code rec}'s current key, against {@code ledger}. */
    public static Certificates check(LedgerCertificate c, Ledger ledger, IdentityRecord rec) {
        try {
            PeerId id = c.verifyInclusion(ledger.parameters(), rec.currentKeyId());
            boolean ok = id.equals(rec.id());
            return new Certificates(
                    c,
                    ok,
                    ok
                            ? "verified: the transaction hashes up the path to the block's Merkle"
                                    + " root, is validly signed, and installs this key"
                            : "the certificate names another identity");
        } catch (PeerVerificationException e) {
            return new Certificates(c, false, e.errorCode() + ": " + e.getMessage());
        }
    }

    /** The audit path, leaf to root, in hex. */
    public List<String> path() {
        try {
            List<String> path = new ArrayList<>();
            for (ByteString b :
                    io.p2pchat.proto.LedgerCertificate.parseFrom(certificate.encode())
                            .getProofList()) {
                path.add(HEX.formatHex(b.toByteArray()));
            }
            return path;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a certificate that does not decode again", e);
        }
    }

    /**
     * The JSON fields: {@code identity_id}, {@code name}, {@code key_id}, {@code block} (hash),
     * {@code block_height}, {@code merkle_root}, {@code tx_index}, {@code tx_count}, {@code proof}
     * (hex, leaf to root), {@code confirmations}, {@code verified} (this node's check), {@code
     * certificate} (its encoding), and what a verifier needs to check the proof itself: {@code
     * block_header} (156 bytes) and {@code transaction} (the envelope), in hex.
     */
    public Map<String, Object> toJson(IdentityRecord rec, Ledger ledger) {
        BlockHeader h = certificate.blockHeader();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("identity_id", rec.id().toHex());
        m.put("name", rec.displayName().orElse(null));
        m.put("key_id", rec.currentKeyId().toHex());
        m.put("block", certificate.blockHash().toHex());
        m.put("block_height", h.height());
        m.put("merkle_root", HEX.formatHex(h.merkleRoot()));
        m.put("tx_index", certificate.txIndex());
        m.put("tx_count", certificate.txCount());
        m.put("proof", path());
        m.put("confirmations", ledger.confirmations(certificate.blockHash()));
        m.put("verified", ok);
        m.put("certificate", HEX.formatHex(certificate.encode()));
        m.put("block_header", HEX.formatHex(h.encode()));
        m.put("transaction", HEX.formatHex(certificate.transaction()));
        return m;
    }
}
