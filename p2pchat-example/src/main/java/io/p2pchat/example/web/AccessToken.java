package io.p2pchat.example.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The web UI's per-start secret: 256 random bits in URL-safe Base64 without padding (43
 * characters). Whoever presents it controls the node through the UI, so it is never logged and its
 * {@code toString} does not show it; it is compared in constant time.
 */
final class AccessToken {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] ascii;

    private AccessToken(byte[] ascii) {
        this.ascii = ascii;
    }

    /** A fresh token. */
    static AccessToken random() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String s = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        return new AccessToken(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** The token's text, for the URL fragment the node prints. */
    String value() {
        return new String(ascii, StandardCharsets.US_ASCII);
    }

    /** Whether {@code presented} is this token, in time independent of where they differ. */
    boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(ascii, presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "AccessToken[redacted]";
    }
}
