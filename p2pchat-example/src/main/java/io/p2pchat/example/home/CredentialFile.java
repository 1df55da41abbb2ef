package io.p2pchat.example.home;

import io.p2pchat.channel.DelegatedCredentialStore;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
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
 * <p>Thread-safe. {@link #close()} wipes the key; {@link #toString()} shows none. The format and
 * the file handling are shared with {@link TicketFile}.
 */
public final class CredentialFile extends SealedFile implements DelegatedCredentialStore {
    /** The HKDF label (info) of the file's key. */
    public static final String KEY_LABEL = "p2pchat credential key v1";

    private static final int MAX_FILE_BYTES = 4096;
    private static final byte[] MAGIC = {(byte) 0x89, 'P', '2', 'P', 'C', 'R', 'E', 'D'};

    private CredentialFile(Path file, StorageRoot root, Consumer<String> notices) {
        super(
                file,
                root,
                KEY_LABEL,
                MAGIC,
                1,
                "p2pchat credential v1",
                MAX_FILE_BYTES - SealedFile.OVERHEAD,
                notices,
                "and a new credential is signed");
    }

    /**
     * The credential file {@code file} under the key derived from {@code root} (the root stays
     * usable); nothing is read yet. {@code notices} gets the one line said when a damaged file is
     * set aside.
     */
    public static CredentialFile of(Path file, StorageRoot root, Consumer<String> notices) {
        return new CredentialFile(file, root, notices);
    }

    /**
     * The decrypted state, or null when there is no file or it was set aside because it does not
     * decrypt under this home's key.
     *
     * @throws IOException if the file cannot be read or set aside
     */
    @Override
    public byte @Nullable [] load() throws IOException {
        return read();
    }
}
