package io.p2pchat.example.chat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.HistoryEntry;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * Reads the history files of earlier versions (format 1), for {@link HistoryMigration} only.
 *
 * <pre>
 * file  = entry*
 * entry = u32 n || nonce (12) || AES-256-GCM(HistoryEntry) (n - 12 bytes, tag included)
 * key   = scrypt(UTF-8(passphrase), salt, N = 2^15, r = 8, p = 1, 32 bytes)
 *         with the 16-byte salt in history/salt
 * aad   = "p2pchat history v1" || peer id (32) || u64 entry index
 * </pre>
 *
 * <p>Those versions wiped the passphrase array when loading the identity, then derived the key from
 * the wiped array: their histories are in fact keyed by scrypt of as many zero bytes as the
 * passphrase had characters. {@link #candidateKeys} gives both keys, the intended one first.
 */
final class LegacyHistory {
    static final String SALT_FILE = "salt";
    static final int SALT_LENGTH = 16;

    private static final byte[] AAD_LABEL =
            "p2pchat history v1".getBytes(StandardCharsets.US_ASCII);
    private static final int SCRYPT_N = 1 << 15;
    private static final int SCRYPT_R = 8;
    private static final int SCRYPT_P = 1;

    private LegacyHistory() {}

    /** scrypt(password, salt) with the parameters of format 1. */
    static HistoryKey key(byte[] password, byte[] salt) {
        byte[] key =
                SCrypt.generate(
                        password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HistoryKey.LENGTH_BYTES);
        try {
            return HistoryKey.ofBytes(key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * The keys a format 1 history may be encrypted under: from the passphrase, as intended, then
     * from the all-zero array those versions actually used. Wipes the copies it makes; the caller
     * still owns {@code passphrase}.
     */
    static List<HistoryKey> candidateKeys(char[] passphrase, byte[] salt) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] utf8 = new byte[encoded.remaining()];
        encoded.get(utf8);
        Arrays.fill(encoded.array(), (byte) 0);
        try {
            // A wiped char[] of n characters is n NUL characters: n zero bytes in UTF-8.
            return List.of(key(utf8, salt), key(new byte[passphrase.length], salt));
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    /**
     * The entries of a format 1 file, if every complete entry decrypts under {@code key}; a torn
     * last entry (the process died while writing it) is left out, as format 1 did on open.
     */
    static Optional<List<HistoryEntry>> read(byte[] file, HistoryKey key, PeerId peer) {
        List<HistoryEntry> entries = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(file);
        while (in.remaining() >= 4) {
            int n = in.getInt();
            if (n < ChatHistory.NONCE + ChatHistory.TAG || n > ChatHistory.MAX_ENTRY) {
                return Optional.empty();
            }
            if (in.remaining() < n) {
                break; // torn last entry
            }
            byte[] body = new byte[n];
            in.get(body);
            try {
                entries.add(ChatHistory.decrypt(key, AAD_LABEL, peer, entries.size(), body));
            } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
                return Optional.empty();
            }
        }
        return Optional.of(entries);
    }
}
