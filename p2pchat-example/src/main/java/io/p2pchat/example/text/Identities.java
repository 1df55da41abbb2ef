package io.p2pchat.example.text;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Renders ledger identities for people ({@code whois}), with the name and addresses escaped by
 * {@link TerminalText#escape}, and for programs ({@code --json}), exactly.
 */
public final class Identities {
    private Identities() {}

    /** A few lines describing {@code rec} as {@code ledger} sees it now. */
    public static String describe(IdentityRecord rec, Ledger ledger) {
        return describe(rec, ledger, null);
    }

    /**
     * A few lines describing {@code rec}, saying so first when {@code lookedUp} is a key it no
     * longer uses.
     */
    public static String describe(IdentityRecord rec, Ledger ledger, @Nullable PeerId lookedUp) {
        long k = ledger.parameters().confirmations();
        long conf = ledger.confirmations(rec.currentKeyRecord().block());
        long now = ledger.clock().millis();
        StringBuilder sb = new StringBuilder();
        if (state(rec, lookedUp).equals("rotated")) {
            sb.append("key ")
                    .append(lookedUp.shortId())
                    .append(" was ROTATED AWAY: this identity now uses key ")
                    .append(rec.currentKeyId().shortId())
                    .append('\n');
        }
        sb.append(rec.displayName().map(n -> "'" + escape(n) + "'").orElse("(no name)"))
                .append(
                        rec.revoked()
                                ? "  REVOKED at height " + rec.revokedAtHeight().getAsLong()
                                : conf >= k ? "  confirmed" : "  not confirmed yet")
                .append('\n');
        sb.append("  identity id:   ").append(rec.id().toHex()).append('\n');
        sb.append("  fingerprint:   ").append(rec.id().fingerprint()).append('\n');
        sb.append("  registered:    block #").append(rec.registeredAtHeight()).append('\n');
        IdentityRecord.KeyRecord key = rec.currentKeyRecord();
        sb.append("  current key:   ")
                .append(key.keyId().shortId())
                .append(", installed in block #")
                .append(key.height())
                .append(" (")
                .append(key.block().shortHex())
                .append("), ")
                .append(Words.count(conf, "confirmation"))
                .append(" (k=")
                .append(k)
                .append(")\n");
        if (rec.keyHistory().size() > 1) {
            sb.append("  key history:   ")
                    .append(rec.keyHistory().size())
                    .append(" keys, rotations signed by the previous key")
                    .append('\n');
            for (IdentityRecord.KeyRecord kr : rec.keyHistory()) {
                sb.append("    ")
                        .append(kr.keyId().shortId())
                        .append(" from block #")
                        .append(kr.height())
                        .append('\n');
            }
        }
        if (rec.addresses().isEmpty()) {
            sb.append("  addresses:     none\n");
        }
        for (RegisteredAddress a : rec.addresses()) {
            sb.append("  address:       ")
                    .append(escape(a.hostAndPort()))
                    .append(a.isValidAt(now) ? "" : " (expired)")
                    .append(", until ")
                    .append(Instant.ofEpochMilli(a.expiresAtMillis()))
                    .append('\n');
        }
        sb.append("  transactions:  ").append(rec.sequence() + 1);
        return sb.toString();
    }

    /** The peer id that {@code target} spells (64 hex digits), or null for a name. */
    public static @Nullable PeerId peerIdOrNull(String target) {
        String s = target.strip().toLowerCase(java.util.Locale.ROOT).replace(" ", "");
        if (s.startsWith("@")) {
            s = s.substring(1);
        }
        return s.matches("[0-9a-f]{64}") ? PeerId.fromHex(s) : null;
    }

    /**
     * The state of what was looked up: {@code revoked} when the identity is; {@code rotated} when
     * {@code lookedUp} (an identity or key id; null for a lookup by name) is not the current key
     * (after a rotation this includes the identity id, which is the first key's id); else {@code
     * active}.
     */
    public static String state(IdentityRecord rec, @Nullable PeerId lookedUp) {
        if (rec.revoked()) {
            return "revoked";
        }
        if (lookedUp != null && !lookedUp.equals(rec.currentKeyId())) {
            return "rotated";
        }
        return "active";
    }

    /** The JSON fields of {@code rec}. */
    public static Map<String, Object> toJson(IdentityRecord rec, Ledger ledger) {
        return toJson(rec, ledger, null);
    }

    /**
     * The JSON fields of {@code rec}, with the {@link #state} for {@code lookedUp}: {@code
     * identity_id}, {@code key_id} (the current key), {@code state}, the heights of the
     * registration, of the current key and of the revocation, and the key history.
     */
    public static Map<String, Object> toJson(
            IdentityRecord rec, Ledger ledger, @Nullable PeerId lookedUp) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", rec.displayName().orElse(null));
        m.put("identity_id", rec.id().toHex());
        m.put("state", state(rec, lookedUp));
        m.put("identity_state", rec.revoked() ? "revoked" : "active");
        m.put("fingerprint", rec.id().fingerprint());
        m.put("registered_at_height", rec.registeredAtHeight());
        IdentityRecord.KeyRecord key = rec.currentKeyRecord();
        m.put("key_id", key.keyId().toHex());
        m.put("key_block", key.block().toHex());
        m.put("key_height", key.height());
        m.put("confirmations", ledger.confirmations(key.block()));
        m.put("required_confirmations", ledger.parameters().confirmations());
        m.put("revoked", rec.revoked());
        if (rec.revoked()) {
            m.put("revoked_at_height", rec.revokedAtHeight().getAsLong());
        }
        List<Map<String, Object>> addresses = new ArrayList<>();
        for (RegisteredAddress a : rec.addresses()) {
            Map<String, Object> am = new LinkedHashMap<>();
            am.put("host", a.host());
            am.put("port", a.port());
            am.put("expires_at_ms", a.expiresAtMillis());
            addresses.add(am);
        }
        m.put("addresses", addresses);
        m.put("keys", rec.keyHistory().size());
        List<Map<String, Object>> history = new ArrayList<>();
        List<IdentityRecord.KeyRecord> keys = rec.keyHistory();
        for (int i = 0; i < keys.size(); i++) {
            IdentityRecord.KeyRecord kr = keys.get(i);
            Map<String, Object> km = new LinkedHashMap<>();
            km.put("key_id", kr.keyId().toHex());
            km.put("height", kr.height());
            km.put("block", kr.block().toHex());
            km.put("state", i < keys.size() - 1 ? "rotated" : rec.revoked() ? "revoked" : "active");
            history.add(km);
        }
        m.put("key_history", history);
        return m;
    }
}
