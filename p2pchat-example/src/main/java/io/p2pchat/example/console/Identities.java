package io.p2pchat.example.console;

import static io.p2pchat.example.console.TerminalText.escape;

import io.p2pchat.ledger.IdentityRecord;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.RegisteredAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders ledger identities for people ({@code whois}), with the name and addresses escaped by
 * {@link TerminalText#escape}, and for programs ({@code --json}), exactly.
 */
public final class Identities {
    private Identities() {}

    /** A few lines describing {@code rec} as {@code ledger} sees it now. */
    public static String describe(IdentityRecord rec, Ledger ledger) {
        long k = ledger.parameters().confirmations();
        long conf = ledger.confirmations(rec.currentKeyRecord().block());
        long now = ledger.clock().millis();
        StringBuilder sb = new StringBuilder();
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

    /** The JSON fields of {@code rec}. */
    public static Map<String, Object> toJson(IdentityRecord rec, Ledger ledger) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", rec.displayName().orElse(null));
        m.put("identity_id", rec.id().toHex());
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
        return m;
    }
}
