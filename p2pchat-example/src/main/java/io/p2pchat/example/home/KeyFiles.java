package io.p2pchat.example.home;

import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The identity files of a home during a key rotation, kept so that a crash at any point leaves a
 * home that opens with one of its two keys and tells, from the ledger, which one is current.
 *
 * <pre>
 * HOME/identity.pem        the key in use (always present)
 * HOME/identity.next.pem   the new key of a rotation not finished yet
 * HOME/identity.prev.pem   the old key, while the new one replaces it
 * </pre>
 *
 * All three are encrypted under the same passphrase with the same storage root (so the history key
 * does not change). A rotation goes through these steps, each one atomic (a temporary file, fsync,
 * rename, directory fsync):
 *
 * <ol>
 *   <li>{@link #saveNext}: the new key is written to {@code identity.next.pem};
 *   <li>the rotation transaction, signed by both keys, is submitted and confirmed (nothing on
 *       disk);
 *   <li>{@link #promote}: {@code identity.pem} is copied to {@code identity.prev.pem}, {@code
 *       identity.next.pem} is renamed over {@code identity.pem}, {@code identity.prev.pem} is
 *       removed.
 * </ol>
 *
 * At every start {@link #reconcile} looks at which files exist and which key the ledger holds for
 * the identity, and finishes or undoes the step that was cut short.
 *
 * <p>Tests may set the system property {@code p2pchat.test.pauseAt} to a step name ({@code
 * next-saved}, {@code submitted}, {@code on-chain}, {@code prev-saved}, {@code promoted}): the
 * process then prints {@code test-hook: paused at STEP} on standard error and waits there to be
 * killed. Without the property nothing happens.
 */
public final class KeyFiles {
    /** The hidden test hook's system property. */
    public static final String PAUSE_PROPERTY = "p2pchat.test.pauseAt";

    private final Home home;
    private final IdentityStore store;

    /** The files of {@code home}, read and written with {@code store}. */
    public KeyFiles(Home home, IdentityStore store) {
        this.home = home;
        this.store = store;
    }

    /** Whether a rotation left files behind (a new or previous key). */
    public boolean rotationInProgress() {
        return Files.exists(home.identityNext()) || Files.exists(home.identityPrev());
    }

    /**
     * Writes the new key of a rotation to {@code identity.next.pem}, under {@code passphrase} with
     * {@code root}.
     *
     * @param passphrase wiped before this returns
     */
    public void saveNext(LocalIdentity next, StorageRoot root, char[] passphrase) {
        try {
            store.save(next, root, home.identityNext(), passphrase);
        } catch (IdentityStoreException e) {
            throw new UserError(
                    "Cannot write the new key to " + home.identityNext() + ": " + e.getMessage(),
                    e);
        }
        pauseAt("next-saved");
    }

    /** Makes the new key the identity file (step 3); the old one is gone afterwards. */
    public void promote() {
        try {
            byte[] current = Files.readAllBytes(home.identity());
            AtomicFiles.write(home.identityPrev(), current, true);
            pauseAt("prev-saved");
            Files.move(
                    home.identityNext(),
                    home.identity(),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.syncDirectory(home.dir());
            pauseAt("promoted");
            Files.deleteIfExists(home.identityPrev());
            AtomicFiles.syncDirectory(home.dir());
        } catch (IOException e) {
            throw new UserError(
                    "Cannot make the new key the identity file in "
                            + home.dir()
                            + " ("
                            + e.getMessage()
                            + "); the next start finishes it.",
                    e);
        }
    }

    /** Puts the old key back (the ledger still has it) and keeps the new one as pending. */
    private void demote() throws IOException {
        byte[] newer = Files.readAllBytes(home.identity());
        AtomicFiles.write(home.identityNext(), newer, true);
        Files.move(
                home.identityPrev(),
                home.identity(),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        AtomicFiles.syncDirectory(home.dir());
    }

    /** Removes the new key of a rotation that can no longer happen. */
    public void discardNext() {
        try {
            Files.deleteIfExists(home.identityNext());
            Files.deleteIfExists(home.identityPrev());
            AtomicFiles.syncDirectory(home.dir());
        } catch (IOException e) {
            throw new UserError("Cannot remove " + home.identityNext() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The keys of an unfinished rotation, decrypted with the passphrase that opened {@code
     * identity.pem}.
     *
     * @param passphrase left as it is (copies are used)
     */
    public Pending loadPending(char[] passphrase) {
        return new Pending(
                load(home.identityNext(), passphrase), load(home.identityPrev(), passphrase));
    }

    private @Nullable LocalIdentity load(Path file, char[] passphrase) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return store.load(file, passphrase.clone());
        } catch (IdentityStoreException e) {
            throw new UserError(
                    "The key file "
                            + file
                            + " of an unfinished key rotation does not open with this passphrase ("
                            + e.getMessage()
                            + "); restore it or move it away.",
                    e);
        }
    }

    /** The keys found in {@code identity.next.pem} and {@code identity.prev.pem}, if any. */
    public record Pending(@Nullable LocalIdentity next, @Nullable LocalIdentity prev) {}

    /**
     * What {@link #reconcile} decided.
     *
     * @param signing the key the ledger has as current (it signs the identity's transactions)
     * @param key the key the node presents
     * @param pendingNext the new key of a rotation to finish, or null
     * @param message the one line that says which key is used and why, or null when no rotation was
     *     under way
     */
    public record Decision(
            LocalIdentity signing,
            LocalIdentity key,
            @Nullable LocalIdentity pendingNext,
            @Nullable String message) {}

    /**
     * Finishes or undoes an interrupted rotation, from the ledger's view of the identity.
     *
     * <ul>
     *   <li>a new key that the ledger already has as current: promoted;
     *   <li>a new key the ledger does not have yet: kept, the rotation is submitted again and the
     *       node presents the new key meanwhile (so peers that already have the rotation can still
     *       sync with it; they give it full access once the rotation is confirmed);
     *   <li>an identity revoked: the new key is discarded;
     *   <li>a promoted key whose rotation the ledger no longer has (a reorganization): the old key
     *       goes back to {@code identity.pem} and the rotation is submitted again.
     * </ul>
     *
     * @param current the key in {@code identity.pem}
     */
    public Decision reconcile(LocalIdentity current, Pending pending, Ledger ledger) {
        LocalIdentity next = pending.next();
        LocalIdentity prev = pending.prev();
        if (next == null && prev == null) {
            return new Decision(current, current, null, null);
        }
        try {
            if (next != null && prev != null) {
                // Cut short before the rename: identity.pem still holds the old key.
                Files.deleteIfExists(home.identityPrev());
                AtomicFiles.syncDirectory(home.dir());
                prev = null;
            }
            if (next != null) {
                Optional<IdentityRecord> rec = record(ledger, current, next);
                if (rec.isPresent() && rec.get().revoked()) {
                    discardNext();
                    return new Decision(
                            current,
                            current,
                            null,
                            "identity: the new key "
                                    + next.peerId().shortId()
                                    + " of an unfinished rotation was removed: the identity is"
                                    + " revoked");
                }
                if (rec.isPresent() && rec.get().currentKeyId().equals(next.peerId())) {
                    promote();
                    return new Decision(
                            next,
                            next,
                            null,
                            "identity: using the new key "
                                    + next.peerId().shortId()
                                    + ": its rotation is on the ledger (block #"
                                    + rec.get().currentKeyRecord().height()
                                    + "); the old key "
                                    + current.peerId().shortId()
                                    + " is removed");
                }
                return new Decision(
                        current,
                        next,
                        next,
                        "identity: the rotation from key "
                                + current.peerId().shortId()
                                + " to "
                                + next.peerId().shortId()
                                + " is not on the ledger yet: it is submitted again, and the node"
                                + " presents the new key meanwhile");
            }
            // identity.pem holds the new key, identity.prev.pem the old one.
            Optional<IdentityRecord> rec = record(ledger, prev, current);
            if (rec.isPresent()
                    && !rec.get().revoked()
                    && rec.get().currentKeyId().equals(prev.peerId())) {
                demote();
                return new Decision(
                        prev,
                        current,
                        current,
                        "identity: the ledger no longer has the rotation to key "
                                + current.peerId().shortId()
                                + " (a reorganization): it is submitted again, and the node"
                                + " presents the new key meanwhile");
            }
            Files.deleteIfExists(home.identityPrev());
            AtomicFiles.syncDirectory(home.dir());
            return new Decision(
                    current,
                    current,
                    null,
                    "identity: using the new key "
                            + current.peerId().shortId()
                            + "; the old key "
                            + prev.peerId().shortId()
                            + " of the finished rotation is removed");
        } catch (IOException e) {
            throw new UserError(
                    "Cannot finish the key rotation in "
                            + home.dir()
                            + ": "
                            + e.getMessage()
                            + " (the identity files are left as they were).",
                    e);
        }
    }

    private static Optional<IdentityRecord> record(
            Ledger ledger, LocalIdentity a, LocalIdentity b) {
        Optional<IdentityRecord> r = ledger.identityByKey(a.peerId());
        return r.isPresent() ? r : ledger.identityByKey(b.peerId());
    }

    /** The identity id of {@code key} on {@code ledger} (the key's own id if not registered). */
    public static PeerId identityId(Ledger ledger, LocalIdentity key) {
        return ledger.identityByKey(key.peerId()).map(IdentityRecord::id).orElse(key.peerId());
    }

    /** The test hook: waits here to be killed when the property names {@code step}. */
    public static void pauseAt(String step) {
        if (!step.equals(System.getProperty(PAUSE_PROPERTY))) {
            return;
        }
        System.err.println("test-hook: paused at " + step);
        System.err.flush();
        // Bounded: a test kills the process long before.
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < until) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
