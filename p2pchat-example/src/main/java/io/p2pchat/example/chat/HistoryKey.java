package io.p2pchat.example.chat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * The key that encrypts chat history at rest, derived from the identity's passphrase with scrypt (N
 * = 2^15, r = 8, p = 1) and a random salt kept next to the history.
 *
 * <p>Never printed: {@link #toString()} is redacted.
 */
public final class HistoryKey {
    static final int SALT_LENGTH = 16;
    private static final int SCRYPT_N = 1 << 15;

    private final byte[] key;

    private HistoryKey(byte[] key) {
        this.key = key;
    }

    /**
     * Derives the key for the history in {@code dir}, creating the salt on first use. Wipes the
     * UTF-8 copy of the passphrase it makes; the caller still owns {@code passphrase}.
     */
    public static HistoryKey derive(char[] passphrase, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path saltFile = dir.resolve("salt");
        byte[] salt;
        if (Files.exists(saltFile)) {
            salt = Files.readAllBytes(saltFile);
            if (salt.length != SALT_LENGTH) {
                throw new IOException(
                        "history salt " + saltFile + " is corrupted (" + salt.length + " bytes)");
            }
        } else {
            salt = new byte[SALT_LENGTH];
            new SecureRandom().nextBytes(salt);
            Path tmp = dir.resolve("salt.tmp");
            Files.write(tmp, salt);
            try {
                Files.move(tmp, saltFile, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, saltFile, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] pass = new byte[encoded.remaining()];
        encoded.get(pass);
        Arrays.fill(encoded.array(), (byte) 0);
        try {
            return new HistoryKey(SCrypt.generate(pass, salt, SCRYPT_N, 8, 1, 32));
        } finally {
            Arrays.fill(pass, (byte) 0);
        }
    }

    /** A key for tests. */
    static HistoryKey ofBytes(byte[] key) {
        return new HistoryKey(key.clone());
    }

    SecretKey secretKey() {
        return new SecretKeySpec(key, "AES");
    }

    /** Wipes the key. */
    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "HistoryKey[redacted]";
    }
}
