package io.p2pchat.identity;

import java.io.IOException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdentityStore} could not save or load an identity file. The {@link #reason()} says
 * which case it is; the message explains it to a person.
 *
 * <h2>Security</h2>
 *
 * Messages name the file and the failed check, never the passphrase or key bytes. Failures that
 * happen after decryption carry no cause, so that no library message about the plaintext is chained
 * in.
 *
 * <p>This is not an {@link io.p2pchat.channel.ErrorCoded} exception: error codes describe why a
 * channel or peer was rejected, and none of them describes a local key file.
 */
public final class IdentityStoreException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why an identity file could not be saved or loaded. */
    public enum Reason {
        /** {@code load}: there is no file at the path. */
        NOT_FOUND,
        /**
         * The file or its directory could not be read or written: access denied, not a regular
         * file, a missing directory, a full disk; or, for a rewrite ({@code open} adding a storage
         * root, {@code changePassphrase}), another program changed the file meanwhile.
         */
        IO_ERROR,
        /**
         * {@code load}: on a POSIX file system, the file grants some permission to its group or to
         * others. It is refused, as ssh refuses such keys; {@code chmod 600} it.
         */
        INSECURE_PERMISSIONS,
        /**
         * {@code load}: the file is not a well-formed identity file: empty, truncated, too large,
         * not PEM, bad Base64 or DER, or a block missing.
         */
        CORRUPT,
        /**
         * {@code load}: the file is well formed but not something this store accepts: an
         * unencrypted private key, another cipher or key-derivation function, a key-derivation cost
         * above the limit, a key that is not RSA, or an RSA key of another size than those of
         * {@link RsaKeySizes} (2048, 3072 or 4096 bits), which no peer would accept.
         */
        UNSUPPORTED,
        /**
         * {@code load}: decryption failed, the decrypted key is inconsistent or does not match the
         * public key stored beside it, or the storage root stored with it is malformed or fails its
         * check. A wrong passphrase and a modified file cannot be told apart: both make the
         * authentication tag (or the key checks) fail.
         */
        WRONG_PASSPHRASE_OR_TAMPERED,
        /** {@code load}: the key is smaller than the minimum p2pchat accepts (2048 bits). */
        KEY_TOO_SMALL,
        /** {@code save}: a file already exists at the path; identities are never overwritten. */
        ALREADY_EXISTS
    }

    private final Reason reason;

    IdentityStoreException(Reason reason, String message) {
        this(reason, message, null);
    }

    IdentityStoreException(Reason reason, String message, @Nullable Throwable cause) {
        super(reason.name() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Which failure this is. */
    public Reason reason() {
        return reason;
    }
}
