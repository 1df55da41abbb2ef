package io.p2pchat.identity;

import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * What {@link IdentityStore#open} reads from an identity file: the {@link LocalIdentity} and the
 * file's {@link StorageRoot}, from which the application derives the keys of its data at rest.
 *
 * <p>{@link #rootCreated()} tells whether the file had no root (it was written before roots
 * existed, or made with OpenSSL) and {@code open} added one; an application that keeps data at rest
 * may want to say so, since that data now has a new key.
 *
 * <h2>Security</h2>
 *
 * {@link #toString()} shows only the peer id. {@link #destroy()} wipes the root; the RSA private
 * key cannot be wiped on Java 17 (see docs/security.md).
 *
 * <p>Thread-safe.
 */
public final class StoredIdentity implements Destroyable {
    private final LocalIdentity identity;
    private final StorageRoot storageRoot;
    private final boolean rootCreated;

    StoredIdentity(LocalIdentity identity, StorageRoot storageRoot, boolean rootCreated) {
        this.identity = Objects.requireNonNull(identity, "identity");
        this.storageRoot = Objects.requireNonNull(storageRoot, "storageRoot");
        this.rootCreated = rootCreated;
    }

    /** The identity: key pair and peer id. */
    public LocalIdentity identity() {
        return identity;
    }

    /** The root of the keys for data at rest; destroyed by {@link #destroy()}. */
    public StorageRoot storageRoot() {
        return storageRoot;
    }

    /**
     * Whether the file had no storage root and {@link IdentityStore#open} generated one and rewrote
     * the file with it (same passphrase, same scrypt cost and cipher).
     */
    public boolean rootCreated() {
        return rootCreated;
    }

    /** Wipes the storage root. The identity stays usable. */
    @Override
    public void destroy() {
        storageRoot.destroy();
    }

    @Override
    public boolean isDestroyed() {
        return storageRoot.isDestroyed();
    }

    @Override
    public String toString() {
        return "StoredIdentity[" + identity.peerId().shortId() + ", storage root redacted]";
    }
}
