package io.p2pchat.example.home;

import io.p2pchat.channel.ResumptionTicketStore;
import io.p2pchat.identity.StorageRoot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The node's resumption tickets (docs/protocol.md 5.11) between a clean stop and the next start,
 * kept encrypted in {@code HOME/tickets.dat} so that the reconnects after a restart resume.
 *
 * <pre>
 * file   = header || nonce (12) || AES-256-GCM(state) (ciphertext and 16-byte tag)
 * header = 89 50 32 50 54 49 43 4b ("\x89P2PTICK") || u32 version = 1
 * key    = HKDF-SHA-256 of the identity file's {@link StorageRoot}, info {@value #KEY_LABEL}
 * aad    = "p2pchat tickets v1" || header
 * state  = the context's opaque state ({@link ResumptionTicketStore}): tickets and their PSKs
 * </pre>
 *
 * <p>Consume once: the file exists only from a clean stop (which {@linkplain #save writes} it) to
 * the next start, which {@linkplain #take() reads} it and deletes it before the node accepts or
 * dials anything; a crash later cannot bring back a ticket used since (docs/security.md). The
 * encryption and the atomic write are {@link CredentialFile}'s (same passphrase KDF, its own key
 * label). A file that does not decrypt is renamed to {@code tickets.dat.unreadable} with one
 * notice, and the node starts with full handshakes.
 *
 * <p>Thread-safe. {@link #close()} wipes the key; {@link #toString()} shows none.
 */
public final class TicketFile extends SealedFile implements ResumptionTicketStore {
    /** The HKDF label (info) of the file's key. */
    public static final String KEY_LABEL = "p2pchat tickets key v1";

    private static final byte[] MAGIC = {(byte) 0x89, 'P', '2', 'P', 'T', 'I', 'C', 'K'};

    private TicketFile(Path file, StorageRoot root, Consumer<String> notices) {
        super(
                file,
                root,
                KEY_LABEL,
                MAGIC,
                1,
                "p2pchat tickets v1",
                MAX_STATE_BYTES,
                notices,
                "and reconnects start with full handshakes");
    }

    /**
     * The ticket file {@code file} under the key derived from {@code root} (the root stays usable);
     * nothing is read yet. {@code notices} gets the one line said when a damaged file is set aside.
     */
    public static TicketFile of(Path file, StorageRoot root, Consumer<String> notices) {
        return new TicketFile(file, root, notices);
    }

    /**
     * The decrypted state, deleted from the disk (and the directory synced) before it is returned;
     * null when there is no file or it was set aside because it does not decrypt.
     *
     * @throws IOException if the file cannot be read, set aside or deleted (then nothing is
     *     returned)
     */
    @Override
    public synchronized byte @Nullable [] take() throws IOException {
        byte[] state = read();
        if (state != null) {
            try {
                delete();
            } catch (IOException e) {
                Arrays.fill(state, (byte) 0);
                throw e;
            }
        }
        return state;
    }
}
