package io.p2pchat.identity;

import io.p2pchat.identity.IdentityStoreException.Reason;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The {@link IdentityStoreException}s of {@link IdentityStore}, one factory per {@link
 * IdentityStoreException.Reason}, so that every message names the file and never holds key material
 * or the passphrase.
 *
 * <p>Threading: stateless.
 */
final class IdentityFileErrors {
    private IdentityFileErrors() {}

    static IdentityStoreException alreadyExists(Path file) {
        return new IdentityStoreException(
                Reason.ALREADY_EXISTS,
                "a file already exists at " + file + "; identity files are never overwritten");
    }

    static IdentityStoreException corrupt(Path file, String what, @Nullable Throwable cause) {
        return new IdentityStoreException(
                Reason.CORRUPT, file + " is not a valid identity file: " + what, cause);
    }

    static IdentityStoreException unsupported(Path file, String what) {
        return new IdentityStoreException(
                Reason.UNSUPPORTED, file + " uses what this store does not accept: " + what);
    }

    static IdentityStoreException wrongPassphraseOrTampered(Path file, String what) {
        return new IdentityStoreException(
                Reason.WRONG_PASSPHRASE_OR_TAMPERED,
                "cannot unlock "
                        + file
                        + ": "
                        + what
                        + ". The passphrase is wrong or the file was modified (the two cannot be"
                        + " told apart)");
    }

    static IdentityStoreException changedMeanwhile(Path file, String activity) {
        return new IdentityStoreException(
                Reason.IO_ERROR,
                file
                        + " was changed by another program while "
                        + activity
                        + "; nothing was written, try again");
    }
}
