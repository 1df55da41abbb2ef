package io.p2pchat.ledger;

import io.p2pchat.crypto.RsaPss;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs Wycheproof RSASSA-PSS vectors through the verifier the ledger uses. */
final class WycheproofPss {
    private static final Pattern TOKENS =
            Pattern.compile(
                    "\"publicKeyDer\"\\s*:\\s*\"([0-9a-f]+)\""
                        + "|\"msg\"\\s*:\\s*\"([0-9a-f]*)\",\\s*\"sig\"\\s*:\\s*\"([0-9a-f]*)\",\\s*\"result\"\\s*:\\s*\"(\\w+)\"");

    private WycheproofPss() {}

    /** Counts vectors whose verdict differs from the file's, and checks the count of vectors. */
    static int countInvalidAccepted(String json) throws Exception {
        HexFormat hex = HexFormat.of();
        Matcher m = TOKENS.matcher(json);
        PublicKey key = null;
        int wrong = 0;
        int tests = 0;
        while (m.find()) {
            if (m.group(1) != null) {
                key =
                        KeyFactory.getInstance("RSA")
                                .generatePublic(new X509EncodedKeySpec(hex.parseHex(m.group(1))));
                continue;
            }
            tests++;
            boolean ok = RsaPss.verify(key, hex.parseHex(m.group(2)), hex.parseHex(m.group(3)));
            boolean expected = m.group(4).equals("valid");
            if (ok != expected) {
                wrong++;
            }
        }
        if (tests != 108) {
            throw new AssertionError("expected 108 vectors, found " + tests);
        }
        return wrong;
    }
}
