package io.p2pchat.example.home;

import io.p2pchat.channel.DelegatedCredentialStore;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The node's delegated credential and its Ed25519 private key (docs/protocol.md 5.10), kept
 * encrypted in {@code HOME/credential.key} so that a restart signs nothing with the RSA identity
 * key while the credential is valid.
 *
 * <pre>
 * file   = header || nonce (12) || AES-256-GCM(state) (ciphertext and 16-byte tag)
 * header = 89 50 32 50 43 52 45 44 ("\x89P2PCRED") || u32 version = 1
 * key    = HKDF-SHA-256 of the identity file's {@link StorageRoot}, info {@value #KEY_LABEL}
 * aad    = "p2pchat credential v1" || header
 * state  = the context's opaque state ({@link DelegatedCredentialStore}): credential and key
 * </pre>
 *
 * <p>The passphrase is stretched once, by the identity file's scrypt; the file adds no cheaper
 * target for guessing it. Each save rewrites the whole file atomically ({@link AtomicFiles}:
 * temporary file, fsync, rename, directory fsync; mode {@code 0600}) under a fresh nonce. The
 * library decides whether the credential inside is still good (identity key, network, validity);
 * this class only keeps it. A file that does not decrypt (damaged, altered, or another identity's)
 * is renamed to {@code credential.key.unreadable} with one notice, and a new credential is signed.
 *
 * <p>Thread-safe. {@link #close()} wipes the key; {@link #toString()} shows none.
 */
public final class CredentialFile implements DelegatedCredentialStore, AutoCloseable {
    /** The HKDF label (info) of the file's key. */
    public static final String KEY_LABEL = "p2pchat credential key v1";

    static final int KEY_BYTES = 32;
    private static final int MAX_FILE_BYTES = 4096;
    private static final byte[] MAGIC = {(byte) 0x89, 'P', '2', 'P', 'C', 'R', 'E', 'D'};
    private static final int VERSION = 1;
    private static final int HEADER_LENGTH = MAGIC.length + 4;
    private static final int NONCE = 12;
    private static final int TAG = 16;
    private static final byte[] AAD_LABEL =
            "p2pchat credential v1".getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final byte[] key;
    private final Consumer<String> notices;
    private final SecureRandom random = new SecureRandom();
    private boolean closed;

    private CredentialFile(Path file, byte[] key, Consumer<String> notices) {
        this.file = file;
        this.key = key;
        this.notices = notices;
    }

    /**
     * The credential file {@code file} under the key derived from {@code root} (the root stays
     * usable); nothing is read yet. {@code notices} gets the one line said when a damaged file is
     * set aside.
     */
    public static CredentialFile of(Path file, StorageRoot root, Consumer<String> notices) {
        return new CredentialFile(
                Objects.requireNonNull(file, "file"),
                root.deriveKey(KEY_LABEL, KEY_BYTES),
                Objects.requireNonNull(notices, "notices"));
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /**
     * The decrypted state, or null when there is no file or it was set aside because it does not
     * decrypt under this home's key.
     *
     * @throws IOException if the file cannot be read or set aside
     */
    @Override
    public synchronized byte @Nullable [] load() throws IOException {
        checkOpen();
        byte[] content;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            return null;
        }
        byte[] state = decrypt(content);
        if (state == null) {
            Path aside = Unreadable.setAside(file);
            notices.accept(
                    "note: "
                            + file.getFileName()
                            + " could not be decrypted (damaged, or another identity's); kept as "
                            + aside.getFileName()
                            + ", and a new credential is signed");
        }
        return state;
    }

    /** Encrypts {@code state} and replaces the file with it atomically; wipes nothing it got. */
    @Override
    public synchronized void save(byte[] state) throws IOException {
        checkOpen();
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce, 0);
            byte[] ct = c.doFinal(state);
            AtomicFiles.write(
                    file,
                    ByteBuffer.allocate(HEADER_LENGTH + NONCE + ct.length)
                            .put(header())
                            .put(nonce)
                            .put(ct)
                            .array(),
                    true);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encrypt the credential", e);
        }
    }

    /** Removes the file (after a key rotation or revocation: its credential is worthless). */
    public synchronized void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            AtomicFiles.syncDirectory(file.getParent());
        }
    }

    private byte @Nullable [] decrypt(byte[] content) {
        if (content.length < HEADER_LENGTH + NONCE + TAG
                || content.length > MAX_FILE_BYTES
                || !Arrays.equals(content, 0, HEADER_LENGTH, header(), 0, HEADER_LENGTH)) {
            return null;
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, content, HEADER_LENGTH);
            return c.doFinal(
                    content, HEADER_LENGTH + NONCE, content.length - HEADER_LENGTH - NONCE);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private Cipher cipher(int mode, byte[] nonce, int nonceOffset) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(
                mode,
                new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(TAG * 8, nonce, nonceOffset, NONCE));
        c.updateAAD(AAD_LABEL);
        c.updateAAD(header());
        return c;
    }

    private static byte[] header() {
        return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putInt(VERSION).array();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the credential file is closed");
        }
    }

    /** Wipes the key; later loads and saves fail. */
    @Override
    public synchronized void close() {
        closed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "CredentialFile[" + file.getFileName() + ", key redacted]";
    }
}
