package io.p2pchat.identity;

import java.util.List;

/**
 * The RSA identity key sizes p2pchat accepts: exactly 2048, 3072 or 4096 bits, everywhere.
 *
 * <p>One set, used by key generation ({@link LocalIdentity}), the identity store ({@link
 * IdentityStore#load}), the handshake's check of the peer's key ({@code BAD_KEY_SIZE},
 * docs/protocol.md §5.6), pinned keys ({@link io.p2pchat.verify.PinnedKeysVerifier}) and the
 * ledger's transaction rules ({@code BAD_KEY_SIZE}, docs/ledger.md), so that a key one part accepts
 * is never refused by another: a key of another size could be generated and stored but would never
 * complete a handshake or register on the ledger. The upper bound also bounds what an attacker's
 * key costs to verify.
 */
public final class RsaKeySizes {
    /** The accepted modulus sizes in bits, smallest first. */
    public static final List<Integer> ALLOWED_BITS = List.of(2048, 3072, 4096);

    /** The size new identities get unless asked otherwise. */
    public static final int DEFAULT_BITS = 3072;

    private RsaKeySizes() {}

    /** Whether an RSA modulus of {@code bits} bits is accepted. */
    public static boolean isAllowed(int bits) {
        return ALLOWED_BITS.contains(bits);
    }

    /** The smallest accepted size in bits. */
    public static int minimumBits() {
        return ALLOWED_BITS.get(0);
    }

    /** The accepted sizes for messages: {@code "2048, 3072 or 4096"}. */
    public static String describe() {
        int last = ALLOWED_BITS.size() - 1;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i <= last; i++) {
            sb.append(i == 0 ? "" : i == last ? " or " : ", ").append(ALLOWED_BITS.get(i));
        }
        return sb.toString();
    }
}
