package io.p2pchat.example.node;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.home.Home;
import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.RsaKeySizes;
import io.p2pchat.identity.StoredIdentity;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.node.Node;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The identity of a running node over its life: key rotation, revocation, a new set of registered
 * addresses, and a name claimed after the registration. Each operation submits a signed ledger
 * transaction and reports its progress until it has the network's k confirmations.
 *
 * <p>The key that signs is the one the ledger has as current ({@code identity.pem}); during a
 * rotation the node may already present the new one ({@link Node#rotateKey}). The files of a
 * rotation are kept by {@link KeyFiles}, so that a crash at any step is finished or undone at the
 * next start.
 *
 * <p>Not thread-safe: the console runs one operation at a time.
 *
 * <p>Size: over 600 lines because each of the four operations (rotate with its crash-safe finish,
 * revoke, addresses, name) is a short transaction flow sharing the same submit, wait-for-block and
 * wait-for-confirmations steps at the bottom of this class; splitting them apart would make those
 * steps public.
 */
public final class IdentityLifecycle {
    /** Receives the progress and the events of an operation, on the calling thread. */
    public interface Report {
        /** A progress line (printed only when it changes, outside a terminal). */
        void progress(String stage, String text, double fraction);

        /** A step done: a line for people, and the JSON fields. */
        void event(String kind, String text, Object... fields);
    }

    private static final long POLL_MILLIS = 100;
    private static final Duration WAIT = Duration.ofMinutes(30);
    private static final long ADDRESS_VALIDITY_MILLIS = Duration.ofDays(365).toMillis();

    private final Node node;
    private final Ledger ledger;
    private final Home home;
    private final KeyFiles files;
    private final IdentityStore store;
    private final IdentityTransactions txs;
    private LocalIdentity signing;
    private @Nullable LocalIdentity pendingNext;

    /**
     * @param signing the key in {@code identity.pem}, current on the ledger
     * @param pendingNext the new key of an unfinished rotation, or null
     */
    public IdentityLifecycle(
            Node node,
            Home home,
            IdentityStore store,
            LocalIdentity signing,
            @Nullable LocalIdentity pendingNext) {
        this.node = node;
        this.ledger = node.ledger();
        this.home = home;
        this.store = store;
        this.files = new KeyFiles(home, store);
        this.txs = IdentityTransactions.forNetwork(ledger.parameters());
        this.signing = signing;
        this.pendingNext = pendingNext;
    }

    /** The new key of a rotation not finished yet, if any. */
    public Optional<LocalIdentity> pendingRotation() {
        return Optional.ofNullable(pendingNext);
    }

    /** The key the ledger has as current for this identity (the one that signs). */
    public LocalIdentity signingKey() {
        return signing;
    }

    /** The identity id (the registration key's id). */
    public PeerId identityId() {
        Optional<IdentityRecord> r = ledger.identityByKey(signing.peerId());
        if (r.isEmpty() && pendingNext != null) {
            r = ledger.identityByKey(pendingNext.peerId());
        }
        return r.map(IdentityRecord::id).orElse(signing.peerId());
    }

    /** The identity's record now, or null before the registration is mined. */
    public @Nullable IdentityRecord record() {
        return ledger.identity(identityId()).orElse(null);
    }

    private IdentityRecord requireActive() {
        IdentityRecord rec = record();
        if (rec == null) {
            throw new UserError(
                    "This identity is not on the ledger yet: wait until its registration is"
                            + " confirmed.");
        }
        if (rec.revoked()) {
            throw new UserError(
                    Home.revokedSentence(home.dir(), rec.revokedAtHeight().getAsLong()));
        }
        return rec;
    }

    // ------------------------------------------------------------------ rotation

    /**
     * Rotates the identity's key: checks that {@code passphrase} opens {@code identity.pem},
     * generates a new key of {@code bits}, saves it, submits the rotation signed by both keys and
     * waits until it has k confirmations; the node presents the new key from the block that holds
     * the rotation on.
     *
     * @param bits the new key's size, or 0 for the current key's
     * @param passphrase wiped before this returns
     */
    public void rotate(int bits, char[] passphrase, Report report) throws InterruptedException {
        StoredIdentity opened;
        try {
            if (pendingNext != null) {
                throw new UserError(
                        "A rotation to key "
                                + pendingNext.peerId().shortId()
                                + " is already under way; it finishes by itself (or at the next"
                                + " start).");
            }
            requireActive();
            int size = bits == 0 ? signing.keyBits() : bits;
            if (!RsaKeySizes.isAllowed(size)) {
                throw new UserError("The key size is " + RsaKeySizes.describe() + " bits.");
            }
            try {
                opened = store.open(home.identity(), passphrase.clone());
            } catch (IdentityStoreException e) {
                throw new UserError(
                        e.reason() == IdentityStoreException.Reason.WRONG_PASSPHRASE_OR_TAMPERED
                                ? "Wrong passphrase: nothing was changed."
                                : "Cannot open " + home.identity() + ": " + e.getMessage(),
                        e);
            }
            try {
                if (!opened.identity().peerId().equals(signing.peerId())) {
                    throw new UserError(
                            home.identity()
                                    + " no longer holds the key this node started with: restart"
                                    + " the node first.");
                }
                report.progress("generating", "Generating a new " + size + "-bit RSA key...", 0.02);
                LocalIdentity next = LocalIdentity.generate(size, new SecureRandom());
                files.saveNext(next, opened.storageRoot(), passphrase.clone());
                pendingNext = next;
                report.event(
                        "rotation_started",
                        "new key "
                                + next.peerId().shortId()
                                + " ("
                                + size
                                + " bits) saved to "
                                + home.identityNext().getFileName()
                                + "; submitting the rotation signed by both keys",
                        "old_key_id",
                        signing.peerId().toHex(),
                        "new_key_id",
                        next.peerId().toHex(),
                        "key_bits",
                        size);
            } finally {
                opened.destroy();
            }
        } finally {
            java.util.Arrays.fill(passphrase, '\0');
        }
        finishRotation(report);
    }

    /**
     * Submits the pending rotation (again) and waits until it has k confirmations, then makes the
     * new key the identity file. Used by {@link #rotate} and, after a restart, for a rotation that
     * was cut short.
     */
    public void finishRotation(Report report) throws InterruptedException {
        LocalIdentity next = pendingNext;
        if (next == null) {
            return;
        }
        LocalIdentity old = signing;
        PeerId id = identityId();
        int k = ledger.parameters().confirmations();
        long deadline = System.nanoTime() + WAIT.toNanos();
        Supplier<LedgerTransaction> build =
                () -> txs.rotateKey(old, next, id, await(ledger.nextSequence(id)));
        LedgerTransaction tx = null;
        long submittedAt = -1;
        boolean announced = false;
        while (true) {
            checkDeadline(deadline, "The rotation", "it is submitted again at the next start");
            IdentityRecord rec = ledger.identity(id).orElse(null);
            long height = ledger.tip().height();
            if (rec != null && rec.revoked()) {
                files.discardNext();
                pendingNext = null;
                throw new UserError(
                        Home.revokedSentence(home.dir(), rec.revokedAtHeight().getAsLong()));
            }
            if (rec != null && rec.currentKeyId().equals(next.peerId())) {
                node.rotateKey(next);
                long conf = ledger.confirmations(rec.currentKeyRecord().block());
                if (!announced) {
                    announced = true;
                    report.event(
                            "rotation_mined",
                            "the rotation is in block #"
                                    + rec.currentKeyRecord().height()
                                    + ": peers now refuse the old key "
                                    + old.peerId().shortId()
                                    + "; this node presents the new key "
                                    + next.peerId().shortId(),
                            "height",
                            rec.currentKeyRecord().height(),
                            "new_key_id",
                            next.peerId().toHex());
                    KeyFiles.pauseAt("on-chain");
                }
                if (conf >= k) {
                    files.promote();
                    signing = next;
                    pendingNext = null;
                    report.event(
                            "rotated",
                            "key rotated: "
                                    + old.peerId().shortId()
                                    + " -> "
                                    + next.peerId().shortId()
                                    + ", block #"
                                    + rec.currentKeyRecord().height()
                                    + ", "
                                    + conf
                                    + " confirmations; peers accept the new key, history and"
                                    + " conversations continue",
                            "identity_id",
                            id.toHex(),
                            "old_key_id",
                            old.peerId().toHex(),
                            "new_key_id",
                            next.peerId().toHex(),
                            "height",
                            rec.currentKeyRecord().height(),
                            "confirmations",
                            conf);
                    return;
                }
                report.progress(
                        "confirming",
                        "Rotation in block #"
                                + rec.currentKeyRecord().height()
                                + ": "
                                + conf
                                + "/"
                                + k
                                + " confirmations",
                        0.3 + 0.7 * conf / k);
            } else if (rec != null && !rec.currentKeyId().equals(old.peerId())) {
                throw new UserError(
                        "The ledger has another key ("
                                + rec.currentKeyId().shortId()
                                + ") for this identity than this home's: the rotation cannot"
                                + " happen.");
            } else {
                if (announced) {
                    // A reorganization dropped the block: the old key is current again.
                    announced = false;
                    node.rotateKey(old);
                }
                if (height != submittedAt) {
                    submittedAt = height;
                    if (tx == null) {
                        tx = build.get();
                    }
                    TxResult r = await(node.submit(tx));
                    if (r.status() == TxResult.Status.REJECTED
                            && r.reason() == RejectReason.BAD_SEQUENCE) {
                        tx = build.get(); // another transaction took the sequence number
                        r = await(node.submit(tx));
                    }
                    if (r.status() == TxResult.Status.REJECTED) {
                        abandon(old, r);
                    }
                    KeyFiles.pauseAt("submitted");
                }
                report.progress(
                        "submitted",
                        "Rotation submitted: waiting for a block (height " + height + ")",
                        0.2);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** A rotation the ledger refuses for good: the new key is removed, the old one kept. */
    private void abandon(LocalIdentity old, TxResult r) {
        files.discardNext();
        pendingNext = null;
        node.rotateKey(old);
        throw new UserError(
                "The ledger refused the rotation ("
                        + r.reason()
                        + ": "
                        + r.message()
                        + "); the new key was removed and the node keeps key "
                        + old.peerId().shortId()
                        + ".");
    }

    // ------------------------------------------------------------------ revocation

    /**
     * Revokes the identity: submits the revocation and waits until it has k confirmations (at most
     * two minutes once it is in a block: peers refuse the key from that block on). Records it in
     * node.properties, and removes the key of an unfinished rotation.
     *
     * @return the revocation's height
     */
    public long revoke(Report report) throws InterruptedException {
        IdentityRecord rec = requireActive();
        PeerId id = rec.id();
        int k = ledger.parameters().confirmations();
        long deadline = System.nanoTime() + WAIT.toNanos();
        long minedDeadline = Long.MAX_VALUE;
        LedgerTransaction tx = txs.revoke(signing, id, await(ledger.nextSequence(id)));
        long submittedAt = -1;
        boolean recorded = false;
        while (true) {
            checkDeadline(deadline, "The revocation", "submit it again with /identity revoke");
            rec = ledger.identity(id).orElseThrow();
            long height = ledger.tip().height();
            if (rec.revoked()) {
                long at = rec.revokedAtHeight().getAsLong();
                long conf = height - at + 1;
                if (!recorded) {
                    recorded = true;
                    home.set(Home.REVOKED, Long.toString(at));
                    // The delegated credential and the resumption tickets die with the key;
                    // peers refuse them from this block on, and a revoked home does not start
                    // again (nor saves tickets when it stops).
                    for (java.nio.file.Path file : List.of(home.credentialKey(), home.tickets())) {
                        try {
                            java.nio.file.Files.deleteIfExists(file);
                        } catch (java.io.IOException e) {
                            report.event(
                                    "warning", "could not remove " + file + ": " + e.getMessage());
                        }
                    }
                    if (pendingNext != null) {
                        files.discardNext();
                        pendingNext = null;
                    }
                    minedDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                    report.event(
                            "revocation_mined",
                            "the revocation is in block #"
                                    + at
                                    + ": peers refuse this key from now on",
                            "height",
                            at);
                }
                if (conf >= k || System.nanoTime() - minedDeadline > 0) {
                    return at;
                }
                report.progress(
                        "confirming",
                        "Revocation in block #" + at + ": " + conf + "/" + k + " confirmations",
                        0.3 + 0.7 * conf / k);
            } else {
                if (height != submittedAt) {
                    submittedAt = height;
                    TxResult r = await(node.submit(tx));
                    if (r.status() == TxResult.Status.REJECTED
                            && r.reason() == RejectReason.BAD_SEQUENCE) {
                        tx = txs.revoke(signing, id, await(ledger.nextSequence(id)));
                        r = await(node.submit(tx));
                    }
                    if (r.status() == TxResult.Status.REJECTED) {
                        throw new UserError(
                                "The ledger refused the revocation: "
                                        + r.reason()
                                        + " "
                                        + r.message());
                    }
                }
                report.progress(
                        "submitted",
                        "Revocation submitted: waiting for a block (height " + height + ")",
                        0.2);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    // ------------------------------------------------------------------ addresses

    /**
     * Replaces the registered addresses (each valid for a year) and waits until the change has k
     * confirmations.
     */
    public void updateAddresses(List<HostPort> addresses, Report report)
            throws InterruptedException {
        if (addresses.isEmpty()) {
            throw new UserError("Give at least one address: /identity address HOST:PORT ...");
        }
        int max = io.p2pchat.ledger.model.NetworkParameters.MAX_ADDRESSES;
        if (addresses.size() > max) {
            throw new UserError("At most " + max + " addresses can be registered.");
        }
        IdentityRecord rec = requireActive();
        long expires = ledger.clock().millis() + ADDRESS_VALIDITY_MILLIS;
        List<RegisteredAddress> list = new ArrayList<>();
        for (HostPort a : addresses) {
            list.add(new RegisteredAddress(a.host(), a.port(), expires));
        }
        PeerId id = rec.id();
        long seq = await(ledger.nextSequence(id));
        LedgerTransaction update = txs.updateAddresses(signing, id, seq, list);
        submitOrFail(update, "the address update");
        String shown = String.join(", ", addresses.stream().map(HostPort::toString).toList());
        report.event(
                "address_submitted",
                "address update submitted: " + escape(shown),
                "addresses",
                addresses.stream().map(HostPort::toString).toList());
        long at = awaitConfirmed(update, "The address update", "Address update", report);
        report.event(
                "addresses_updated",
                "registered addresses are now " + escape(shown) + " (block #" + at + ", confirmed)",
                "addresses",
                addresses.stream().map(HostPort::toString).toList(),
                "height",
                at);
    }

    // ------------------------------------------------------------------ name

    /**
     * Claims a name for an identity registered without one: commits to it, reveals it once the
     * commitment is old enough (docs/ledger.md §4.6), and waits until the reveal has k
     * confirmations.
     */
    public void claimName(String wanted, Report report) throws InterruptedException {
        String name = wanted.strip().toLowerCase(Locale.ROOT);
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,31}")) {
            throw new UserError(
                    "The name '"
                            + name
                            + "' is not allowed: use 1 to 32 lower-case letters, digits, '.', '_'"
                            + " or '-', starting with a letter or digit.");
        }
        IdentityRecord rec = requireActive();
        if (rec.displayName().isPresent()) {
            throw new UserError(
                    "This identity already has the name '"
                            + rec.displayName().get()
                            + "': a name never changes.");
        }
        Optional<IdentityRecord> owner = ledger.identityByName(name);
        if (owner.isPresent()) {
            throw new UserError(
                    "The name '"
                            + name
                            + "' belongs to another identity ("
                            + owner.get().id().shortId()
                            + "): choose another one.");
        }
        PeerId id = rec.id();
        byte[] salt = new byte[NameCommitment.SALT_LENGTH];
        new SecureRandom().nextBytes(salt);
        home.set("name.salt", HexFormat.of().formatHex(salt)); // before anything commits to it
        NameCommitment c = NameCommitment.of(name, salt);
        long seq = await(ledger.nextSequence(id));
        LedgerTransaction commit = txs.commitName(signing, id, seq, c);
        submitOrFail(commit, "the name commitment");
        report.event(
                "name_committed",
                "commitment to the name '"
                        + name
                        + "' submitted (the name stays hidden until it"
                        + " is revealed)",
                "name",
                name);
        long committedAt = awaitBlock(commit, "Name commitment", report);
        long revealFrom = committedAt + ledger.parameters().nameRevealDelay();
        long deadline = System.nanoTime() + WAIT.toNanos();
        long triedAt = -1;
        LedgerTransaction reveal = null;
        while (reveal == null) {
            checkDeadline(deadline, "The name claim", "claim it again with /identity name");
            long height = ledger.tip().height();
            if (height != triedAt) {
                triedAt = height;
                long s = await(ledger.nextSequence(id));
                LedgerTransaction tx = txs.revealName(signing, id, s, c);
                TxResult r = await(node.submit(tx));
                if (r.status() == TxResult.Status.ACCEPTED
                        || r.status() == TxResult.Status.ALREADY_KNOWN) {
                    reveal = tx;
                    break;
                }
                if (r.reason() == RejectReason.DUPLICATE_NAME) {
                    throw new UserError(
                            "The name '" + name + "' was taken by another identity first.");
                }
                if (r.reason() != RejectReason.NAME_TOO_EARLY) {
                    throw new UserError(
                            "The ledger refused the name: " + r.reason() + " " + r.message());
                }
            }
            report.progress(
                    "committed",
                    "Name commitment in block #"
                            + committedAt
                            + ": the name is revealed after block #"
                            + revealFrom
                            + " (height "
                            + height
                            + ")",
                    0.4);
            Thread.sleep(POLL_MILLIS);
        }
        report.event("name_revealed", "name '" + name + "' revealed", "name", name);
        long at = awaitConfirmed(reveal, "The name claim", "Name", report);
        IdentityRecord done = ledger.identity(id).orElseThrow();
        if (!done.displayName().map(name::equals).orElse(false)) {
            throw new UserError("The name '" + name + "' was taken by another identity first.");
        }
        home.set("name", name);
        report.event(
                "named",
                "this identity is now '" + name + "' (block #" + at + ", confirmed)",
                "name",
                name,
                "height",
                at);
    }

    // ------------------------------------------------------------------ waiting

    private void submitOrFail(LedgerTransaction tx, String what) {
        TxResult r = await(node.submit(tx));
        if (r.status() == TxResult.Status.REJECTED || r.status() == TxResult.Status.MEMPOOL_FULL) {
            throw new UserError(
                    "The ledger refused "
                            + what
                            + ": "
                            + (r.reason() == null ? r.status() : r.reason())
                            + " "
                            + r.message());
        }
    }

    /** Waits until {@code tx} is in a block of the best chain; returns its height. */
    private long awaitBlock(LedgerTransaction tx, String label, Report report)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            checkDeadline(deadline, label, "try again");
            long height = ledger.tip().height();
            long at = inclusionHeight(tx);
            if (at >= 0) {
                return at;
            }
            report.progress(
                    "submitted",
                    label + " submitted: waiting for a block (height " + height + ")",
                    0.2);
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Waits until {@code tx} is in a block of the best chain with k confirmations (a reorganization
     * that drops it starts the wait again); returns the block's height.
     */
    private long awaitConfirmed(LedgerTransaction tx, String what, String label, Report report)
            throws InterruptedException {
        int k = ledger.parameters().confirmations();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            checkDeadline(deadline, what, "check with /whois");
            long height = ledger.tip().height();
            long at = inclusionHeight(tx);
            if (at >= 0) {
                long conf = height - at + 1;
                if (conf >= k) {
                    return at;
                }
                report.progress(
                        "confirming",
                        label + " in block #" + at + ": " + conf + "/" + k + " confirmations",
                        0.5 + 0.5 * conf / k);
            } else {
                report.progress(
                        "submitted",
                        label + " submitted: waiting for a block (height " + height + ")",
                        0.3);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** How far back from the tip {@link #inclusionHeight} looks. */
    private static final int SEARCH_BLOCKS = 64;

    /**
     * The height of the best-chain block holding {@code tx} among the last {@link #SEARCH_BLOCKS}
     * blocks, or -1. A block's encoding holds each transaction's envelope as it is.
     */
    private long inclusionHeight(LedgerTransaction tx) {
        io.p2pchat.ledger.model.ChainTip t = ledger.tip();
        String key = tx.id() + "@" + t.hash();
        if (key.equals(searchedKey)) {
            return searchedHeight; // the chain did not move: same answer
        }
        searchedHeight = search(tx, t.height());
        searchedKey = key;
        return searchedHeight;
    }

    private @Nullable String searchedKey;
    private long searchedHeight = -1;

    private long search(LedgerTransaction tx, long tip) {
        byte[] needle = tx.bytes();
        for (long h = tip; h >= Math.max(1, tip - SEARCH_BLOCKS); h--) {
            Optional<io.p2pchat.ledger.model.BlockHeader> header = ledger.headerAt(h);
            if (header.isEmpty()) {
                continue;
            }
            Optional<byte[]> block = await(ledger.block(header.get().hash()));
            if (block.isPresent() && indexOf(block.get(), needle) >= 0) {
                return h;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void checkDeadline(long deadline, String what, String then) {
        if (System.nanoTime() - deadline > 0) {
            throw new UserError(
                    what
                            + " is not confirmed after "
                            + WAIT.toMinutes()
                            + " minutes: is this node connected, and is any node mining? ("
                            + then
                            + ")");
        }
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("Interrupted.", e);
        } catch (ExecutionException e) {
            throw new UserError(
                    "The ledger failed: " + Explain.unwrap(e).getMessage(), Explain.unwrap(e));
        } catch (TimeoutException e) {
            throw new UserError("The ledger did not answer within 60 s.", e);
        }
    }
}
