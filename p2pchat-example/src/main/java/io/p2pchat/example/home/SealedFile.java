package io.p2pchat.example.home;

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
 * One small encrypted file of the home that a state of the library goes into: the format and the
 * file handling shared by {@link CredentialFile} and {@link TicketFile} (docs/security.md).
 *
 * <pre>
 * file   = header || nonce (12) || AES-256-GCM(content) (ciphertext and 16-byte tag)
 * header = magic (8) || u32 version
 * key    = HKDF-SHA-256 of the identity file's storage root, info = the file's key label
 * aad    = the file's AAD label || header
 * </pre>
 *
 * Each write replaces the whole file atomically ({@link AtomicFiles}: temporary file, fsync,
 * rename, directory fsync; mode {@code 0600}) under a fresh nonce. A file that does not decrypt
 * (damaged, altered, too long, or another identity's) is renamed aside ({@link Unreadable}) with
 * one notice.
 *
 * <p>Thread-safe. {@link #close()} wipes the key; {@link #toString()} shows none.
 */
abstract class SealedFile implements AutoCloseable {
    private static final int NONCE = 12;
    private static final int TAG = 16;

    /** Bytes a file has besides its content: header (magic and version), nonce, tag. */
    static final int OVERHEAD = 8 + 4 + NONCE + TAG;

    private static final int KEY_BYTES = 32;

    private final Path file;
    private final byte[] key;
    private final byte[] header;
    private final byte[] aadLabel;
    private final int maxFileBytes;
    private final Consumer<String> notices;
    private final String whenSetAside;
    private final SecureRandom random = new SecureRandom();
    private boolean closed;

    /**
     * @param file the file; nothing is read yet
     * @param root the identity file's storage root (it stays usable)
     * @param keyLabel the HKDF label (info) of the file's key
     * @param magic the first 8 bytes
     * @param version the format version after the magic
     * @param aadLabel what the associated data starts with
     * @param maxContentBytes the longest content written or read
     * @param notices gets the one line said when a damaged file is set aside
     * @param whenSetAside the end of that line: what happens instead
     */
    SealedFile(
            Path file,
            StorageRoot root,
            String keyLabel,
            byte[] magic,
            int version,
            String aadLabel,
            int maxContentBytes,
            Consumer<String> notices,
            String whenSetAside) {
        this.file = Objects.requireNonNull(file, "file");
        this.notices = Objects.requireNonNull(notices, "notices");
        this.key = root.deriveKey(keyLabel, KEY_BYTES);
        this.header = ByteBuffer.allocate(magic.length + 4).put(magic).putInt(version).array();
        this.aadLabel = aadLabel.getBytes(StandardCharsets.US_ASCII);
        this.maxFileBytes = header.length + NONCE + maxContentBytes + TAG;
        this.whenSetAside = whenSetAside;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /**
     * The decrypted content, or null when there is no file, or when it does not decrypt: then it is
     * set aside with one notice.
     *
     * @throws IOException if the file cannot be read or set aside
     */
    final synchronized byte @Nullable [] read() throws IOException {
        checkOpen();
        byte[] content;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            content = in.readNBytes(maxFileBytes + 1);
        } catch (NoSuchFileException e) {
            return null;
        }
        byte[] plain = decrypt(content);
        if (plain == null) {
            Path aside = Unreadable.setAside(file);
            notices.accept(
                    "note: "
                            + file.getFileName()
                            + " could not be decrypted (damaged, or another identity's); kept as "
                            + aside.getFileName()
                            + ", "
                            + whenSetAside);
        }
        return plain;
    }

    /** Encrypts {@code state} and replaces the file with it atomically; wipes nothing it got. */
    public final synchronized void save(byte[] state) throws IOException {
        checkOpen();
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        try {
            byte[] ct = cipher(Cipher.ENCRYPT_MODE, nonce, 0).doFinal(state);
            AtomicFiles.write(
                    file,
                    ByteBuffer.allocate(header.length + NONCE + ct.length)
                            .put(header)
                            .put(nonce)
                            .put(ct)
                            .array(),
                    true);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encrypt " + file.getFileName(), e);
        }
    }

    /**
     * Removes the file, if there is one, and forces the directory to disk (after a revocation: what
     * it holds is worthless).
     */
    public final synchronized void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            AtomicFiles.syncDirectory(file.getParent());
        }
    }

    private byte @Nullable [] decrypt(byte[] content) {
        if (content.length < header.length + NONCE + TAG
                || content.length > maxFileBytes
                || !Arrays.equals(content, 0, header.length, header, 0, header.length)) {
            return null;
        }
        try {
            return cipher(Cipher.DECRYPT_MODE, content, header.length)
                    .doFinal(
                            content, header.length + NONCE, content.length - header.length - NONCE);
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
        c.updateAAD(aadLabel);
        c.updateAAD(header);
        return c;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(file.getFileName() + " is closed");
        }
    }

    /** Wipes the key; later reads and saves fail. */
    @Override
    public final synchronized void close() {
        closed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public final String toString() {
        return getClass().getSimpleName() + "[" + file.getFileName() + ", key redacted]";
    }
}
