package io.p2pchat.example.node;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.example.text.Words;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
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
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Registers a node's identity on the ledger and claims its name, then waits until both are
 * confirmed:
 *
 * <ol>
 *   <li>a registration transaction (key, address, a commitment to the name; its stamp is a small
 *       proof of work) goes to the mempool and is gossiped;
 *   <li>some node (this one too, unless it does not mine) mines it into a block;
 *   <li>{@code nameRevealDelay} blocks later the name is revealed (commit-reveal, so that no miner
 *       can steal it: docs/ledger.md §4.6), and mined;
 *   <li>the registration reaches the network's k confirmations: peers now accept the key.
 * </ol>
 *
 * Restart-safe: the name's salt is stored before the commitment is submitted, so a registration
 * mined while the node was down can still be revealed. An identity already registered is only
 * checked (and its address updated when it changed).
 */
public final class Registration {
    /** Where the salt of the name commitment is kept between runs. */
    public interface SaltStore {
        /** The stored salt, or null. */
        byte @Nullable [] load();

        /** Stores the salt durably. */
        void store(byte[] salt);
    }

    /** Reports progress; called on the registering thread. */
    public interface Progress {
        /**
         * @param stage a short machine-readable stage name
         * @param text a sentence for people
         * @param fraction 0..1
         */
        void update(String stage, String text, double fraction);
    }

    private static final long POLL_MILLIS = 100;
    private static final long ADDRESS_VALIDITY_MILLIS = Duration.ofDays(365).toMillis();
    private static final long ADDRESS_RENEW_MILLIS = Duration.ofDays(30).toMillis();

    private final Node node;
    private final Ledger ledger;
    private final LocalIdentity identity;
    private final PeerId id;
    private final @Nullable String name;
    private final @Nullable RegisteredAddress address;
    private final SaltStore salts;
    private final Progress progress;
    private final IdentityTransactions txs;

    private boolean submitted;
    private boolean revealPending;
    private long revealTriedAtHeight = -1;
    private long revealSubmittedAtHeight = -1;
    private @Nullable String note;
    private String lastProgress = "";

    /**
     * @param name the name to claim, or null for none
     * @param advertisedHost the host of the address to register (where peers reach this node), or
     *     null for none
     * @param advertisedPort the port of that address
     */
    public Registration(
            Node node,
            @Nullable String name,
            @Nullable String advertisedHost,
            int advertisedPort,
            SaltStore salts,
            Progress progress) {
        this.node = Objects.requireNonNull(node, "node");
        this.ledger = node.ledger();
        this.identity = node.identity();
        // After a key rotation the identity id is the first key's, not this one's.
        this.id = KeyFiles.identityId(ledger, identity);
        this.name = name == null || name.isEmpty() ? null : name;
        this.address =
                advertisedHost == null
                        ? null
                        : new RegisteredAddress(
                                advertisedHost,
                                advertisedPort,
                                ledger.clock().millis() + ADDRESS_VALIDITY_MILLIS);
        this.salts = Objects.requireNonNull(salts, "salts");
        Objects.requireNonNull(progress, "progress");
        this.progress =
                (stage, text, fraction) -> {
                    lastProgress = text;
                    progress.update(stage, text, fraction);
                };
        this.txs = IdentityTransactions.forNetwork(ledger.parameters());
    }

    /** Something the person should know about the outcome (a name taken), or null. */
    public @Nullable String note() {
        return note;
    }

    /**
     * Registers if needed and waits until the identity is confirmed and its name revealed.
     *
     * @param timeout how long to wait at most
     * @return the confirmed record
     * @throws UserError when the ledger refuses the registration, or on timeout
     */
    public IdentityRecord run(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int k = ledger.parameters().confirmations();
        long lastHeight = -1;
        long lastHashes = ledger.miner().hashes();
        long lastRateAt = System.nanoTime();
        double rate = 0;
        while (true) {
            if (System.nanoTime() - deadline > 0) {
                throw new UserError(
                        "The registration is not confirmed after "
                                + timeout.toSeconds()
                                + " s ("
                                + lastProgress
                                + "): is this node connected to the network, and is any node"
                                + " mining? (this one mines unless --no-mine)");
            }
            long now = System.nanoTime();
            if (now - lastRateAt > 1_000_000_000L) {
                long h = ledger.miner().hashes();
                rate = (h - lastHashes) * 1e9 / (now - lastRateAt);
                lastHashes = h;
                lastRateAt = now;
            }
            String mining = rate > 0 ? String.format(", mining %.1f MH/s", rate / 1e6) : "";
            long height = ledger.tip().height();
            Optional<IdentityRecord> found = ledger.identity(id);
            if (found.isEmpty()) {
                if (!submitted) {
                    submitRegistration();
                }
                progress.update(
                        "submitted",
                        "Registering "
                                + (name == null ? "" : "'" + name + "' ")
                                + "on the ledger: waiting for a block (height "
                                + height
                                + mining
                                + ")",
                        0.1);
                Thread.sleep(POLL_MILLIS);
                continue;
            }
            IdentityRecord rec = found.get();
            if (rec.revoked()) {
                throw new UserError(
                        "This identity was revoked on the ledger at height "
                                + rec.revokedAtHeight().getAsLong()
                                + ": it can no longer be used. Create a new one with "
                                + Program.command()
                                + " init"
                                + " in another home.");
            }
            long conf = ledger.confirmations(rec.currentKeyRecord().block());
            boolean nameDone = checkName(rec, height);
            if (conf >= k && nameDone) {
                progress.update(
                        "confirmed",
                        "Registered"
                                + rec.displayName().map(n -> " as '" + escape(n) + "'").orElse("")
                                + " in block #"
                                + rec.registeredAtHeight()
                                + ", "
                                + Words.count(conf, "confirmation"),
                        1.0);
                updateAddressIfNeeded(rec);
                return rec;
            }
            if (height != lastHeight) {
                lastHeight = height;
            }
            double fraction =
                    0.1 + 0.6 * Math.min(conf, k) / k + (nameDone ? 0.3 : revealPending ? 0.15 : 0);
            String nameState =
                    name == null || nameDone
                            ? ""
                            : revealPending
                                    ? ", name '" + name + "' revealed, waiting for a block"
                                    : ", name '"
                                            + name
                                            + "' revealed after block #"
                                            + (rec.registeredAtHeight()
                                                    + ledger.parameters().nameRevealDelay());
            progress.update(
                    conf >= k ? "naming" : "confirming",
                    "Registered in block #"
                            + rec.registeredAtHeight()
                            + ": "
                            + Math.min(conf, k)
                            + "/"
                            + k
                            + " confirmations"
                            + nameState
                            + mining,
                    fraction);
            Thread.sleep(POLL_MILLIS);
        }
    }

    private void submitRegistration() throws InterruptedException {
        NameCommitment commitment = name == null ? null : commitment();
        List<RegisteredAddress> addresses = address == null ? List.of() : List.of(address);
        progress.update(
                "stamping",
                "Computing the registration stamp (2^"
                        + ledger.parameters().stampBits()
                        + " hashes)...",
                0.02);
        TxResult r = await(node.register(addresses, commitment));
        switch (r.status()) {
            case ACCEPTED, ALREADY_KNOWN -> submitted = true;
            case MEMPOOL_FULL -> Thread.sleep(1000);
            case REJECTED -> {
                if (r.reason() == RejectReason.DUPLICATE_IDENTITY) {
                    submitted = true; // already pending or mined elsewhere: wait for it
                } else {
                    throw new UserError(
                            "The ledger refused the registration: "
                                    + r.reason()
                                    + " "
                                    + r.message());
                }
            }
        }
    }

    /** Advances the name claim; returns whether nothing more is to be done for the name. */
    private boolean checkName(IdentityRecord rec, long height) throws InterruptedException {
        if (name == null) {
            return true;
        }
        if (rec.displayName().isPresent()) {
            if (!rec.displayName().get().equals(name)) {
                note =
                        "This identity is registered as '"
                                + escape(rec.displayName().get())
                                + "' (names never change).";
            }
            return true;
        }
        Optional<IdentityRecord> owner = ledger.identityByName(name);
        if (owner.isPresent() && !owner.get().id().equals(id)) {
            note =
                    "The name '"
                            + name
                            + "' belongs to another identity ("
                            + owner.get().id().shortId()
                            + "); you are registered without a name. Peers can still reach you by"
                            + " peer id.";
            return true;
        }
        if (revealPending) {
            // A reveal lost in a reorganization is submitted again after a few blocks.
            if (height - revealSubmittedAtHeight > 3) {
                revealPending = false;
            }
            return false;
        }
        if (height == revealTriedAtHeight) {
            return false; // try again at the next block
        }
        revealTriedAtHeight = height;
        NameCommitment c = commitment();
        long seq = await(ledger.nextSequence(id));
        LedgerTransaction reveal = txs.revealName(identity, id, seq, c);
        TxResult r = await(node.submit(reveal));
        if (r.status() == TxResult.Status.ACCEPTED || r.status() == TxResult.Status.ALREADY_KNOWN) {
            revealPending = true;
            revealSubmittedAtHeight = height;
            return false;
        }
        RejectReason reason = r.reason();
        if (reason == RejectReason.NAME_TOO_EARLY) {
            return false;
        }
        if (reason == RejectReason.NAME_NOT_COMMITTED) {
            // The commitment is gone (registered without one, or the salt was lost): commit again.
            byte[] salt = new byte[NameCommitment.SALT_LENGTH];
            new SecureRandom().nextBytes(salt);
            salts.store(salt);
            long s = await(ledger.nextSequence(id));
            await(node.submit(txs.commitName(identity, id, s, NameCommitment.of(name, salt))));
            return false;
        }
        if (reason == RejectReason.DUPLICATE_NAME) {
            note = "The name '" + name + "' was taken by another identity first.";
            return true;
        }
        if (reason == RejectReason.NAME_ALREADY_SET) {
            // Our earlier reveal is still waiting in the pool (the chain has no name yet): wait.
            revealPending = true;
            revealSubmittedAtHeight = height;
            return false;
        }
        throw new UserError("The ledger refused the name: " + reason + " " + r.message());
    }

    private NameCommitment commitment() {
        byte[] salt = salts.load();
        if (salt == null || salt.length != NameCommitment.SALT_LENGTH) {
            salt = new byte[NameCommitment.SALT_LENGTH];
            new SecureRandom().nextBytes(salt);
            salts.store(salt); // before anything commits to it
        }
        return NameCommitment.of(name, salt);
    }

    /** Registers the advertised address if the ledger has another one, or it expires soon. */
    private void updateAddressIfNeeded(IdentityRecord rec) throws InterruptedException {
        if (address == null) {
            return;
        }
        long soon = ledger.clock().millis() + ADDRESS_RENEW_MILLIS;
        for (RegisteredAddress a : rec.addresses()) {
            if (a.normalizedHost().equals(address.normalizedHost())
                    && a.port() == address.port()
                    && a.expiresAtMillis() > soon) {
                return;
            }
        }
        long seq = await(ledger.nextSequence(id));
        TxResult r = await(node.submit(txs.updateAddresses(identity, id, seq, List.of(address))));
        if (r.status() == TxResult.Status.ACCEPTED) {
            note =
                    (note == null ? "" : note + " ")
                            + "Your registered address changes to "
                            + address.hostAndPort()
                            + " with the next block.";
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f)
            throws InterruptedException {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new UserError(
                    "The ledger failed: " + Explain.unwrap(e).getMessage(), Explain.unwrap(e));
        } catch (TimeoutException e) {
            throw new UserError("The ledger did not answer within 60 s.", e);
        }
    }
}
