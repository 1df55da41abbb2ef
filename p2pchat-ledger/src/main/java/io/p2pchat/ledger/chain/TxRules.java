package io.p2pchat.ledger.chain;

import io.p2pchat.crypto.RsaPss;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.RejectReason;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

/**
 * The transaction rules ({@code docs/ledger.md}, "Transaction rules"): the checks that need no
 * ledger state ({@link #checkStateless}), and the application of a transaction to a state ({@link
 * #apply}), which checks everything that depends on it.
 *
 * <p>Stateless and thread-safe; signature verifications consult and fill the given {@link
 * SignatureCache}.
 */
public final class TxRules {
    private TxRules() {}

    /**
     * Checks what does not depend on the ledger state, in this order:
     *
     * <ol>
     *   <li>register: the key ({@code BAD_KEY_SIZE}), identity id = SHA-256(key) ({@code
     *       ID_KEY_MISMATCH}), sequence 0 ({@code BAD_SEQUENCE}), the stamp ({@code BAD_STAMP}),
     *       exactly one signature, by the key ({@code BAD_RECORD_SIG});
     *   <li>rotate key: the new key ({@code BAD_KEY_SIZE}), exactly two signatures, the second by
     *       the new key ({@code BAD_RECORD_SIG});
     *   <li>other operations: sequence &gt;= 1 ({@code BAD_SEQUENCE}), exactly one signature
     *       ({@code BAD_RECORD_SIG}).
     * </ol>
     */
    public static void checkStateless(Tx tx, NetworkParameters params, SignatureCache sigs)
            throws InvalidBlockException {
        switch (tx.kind()) {
            case REGISTER:
                {
                    byte[] spki = tx.installedKey();
                    RSAPublicKey key = RsaKeys.parse(spki);
                    PeerId keyId = PeerId.ofSubjectPublicKeyInfo(spki);
                    if (!keyId.equals(tx.identityId())) {
                        throw new InvalidBlockException(
                                RejectReason.ID_KEY_MISMATCH,
                                "registration "
                                        + tx.id().shortHex()
                                        + ": identity id is not SHA-256 of the key");
                    }
                    if (tx.sequence() != 0) {
                        throw new InvalidBlockException(
                                RejectReason.BAD_SEQUENCE,
                                "registration "
                                        + tx.id().shortHex()
                                        + " with sequence "
                                        + Long.toUnsignedString(tx.sequence())
                                        + " (expected: 0)");
                    }
                    int bits = LedgerHashes.leadingZeroBits(LedgerHashes.stampHash(tx.body()));
                    if (bits < params.stampBits()) {
                        throw new InvalidBlockException(
                                RejectReason.BAD_STAMP,
                                "registration "
                                        + tx.id().shortHex()
                                        + ": stamp of "
                                        + bits
                                        + " bits (required "
                                        + params.stampBits()
                                        + ")");
                    }
                    signatureCount(tx, 1);
                    verify(tx, 0, key, keyId, sigs);
                    break;
                }
            case ROTATE_KEY:
                {
                    byte[] spki = tx.installedKey();
                    RSAPublicKey key = RsaKeys.parse(spki);
                    sequenceAtLeastOne(tx);
                    signatureCount(tx, 2);
                    verify(tx, 1, key, PeerId.ofSubjectPublicKeyInfo(spki), sigs);
                    break;
                }
            default:
                sequenceAtLeastOne(tx);
                signatureCount(tx, 1);
        }
    }

    private static void sequenceAtLeastOne(Tx tx) throws InvalidBlockException {
        if (tx.sequence() == 0) {
            throw new InvalidBlockException(
                    RejectReason.BAD_SEQUENCE,
                    tx.kind() + " " + tx.id().shortHex() + " with sequence 0 (expected: >= 1)");
        }
    }

    private static void signatureCount(Tx tx, int expected) throws InvalidBlockException {
        if (tx.signatures().size() != expected) {
            throw new InvalidBlockException(
                    RejectReason.BAD_RECORD_SIG,
                    tx.kind()
                            + " "
                            + tx.id().shortHex()
                            + " with "
                            + tx.signatures().size()
                            + " signatures (expected: "
                            + expected
                            + ")");
        }
    }

    private static void verify(
            Tx tx, int index, RSAPublicKey key, PeerId keyId, SignatureCache sigs)
            throws InvalidBlockException {
        if (sigs.contains(tx.id(), keyId, index)) {
            return;
        }
        if (!RsaPss.verify(
                key, LedgerHashes.txSigningInput(tx.body()), tx.signatures().get(index))) {
            throw new InvalidBlockException(
                    RejectReason.BAD_RECORD_SIG,
                    tx.kind()
                            + " "
                            + tx.id().shortHex()
                            + ": signature "
                            + index
                            + " does not verify under key "
                            + keyId.shortId());
        }
        sigs.add(tx.id(), keyId, index);
    }

    /**
     * Applies a transaction that passed {@link #checkStateless} to {@code state}, checking the
     * rules that depend on it.
     *
     * @param state the state before the transaction; receives its changes
     * @param height the height of the block holding the transaction (for the mempool: the next)
     * @param blockTimeMillis the block timestamp (for the mempool: now)
     * @param block the block hash, recorded as where a key was installed (null for the mempool)
     * @param txIndex the transaction's index in its block
     * @param verifySignatures false only when replaying blocks that were fully validated before
     */
    public static void apply(
            Tx tx,
            StateDelta state,
            long height,
            long blockTimeMillis,
            BlockHash block,
            int txIndex,
            NetworkParameters params,
            SignatureCache sigs,
            boolean verifySignatures)
            throws InvalidBlockException {
        String what = tx.kind() + " " + tx.id().shortHex();
        if (tx.kind() == Tx.Kind.REGISTER) {
            PeerId id = tx.identityId();
            if (state.identityOfKey(id) != null) {
                throw new InvalidBlockException(
                        RejectReason.DUPLICATE_IDENTITY,
                        what
                                + ": identity "
                                + id.shortId()
                                + " is already registered (or its key was used)");
            }
            checkExpiry(what, tx.addresses(), blockTimeMillis);
            byte[] spki = tx.installedKey();
            byte[] commitment = tx.parsed().getRegister().getNameCommitment().toByteArray();
            IdentityEntry entry =
                    new IdentityEntry(
                            id,
                            0,
                            spki,
                            id,
                            List.of(new IdentityEntry.KeyEvent(id, height, block, txIndex)),
                            tx.addresses(),
                            commitment.length == 0 ? null : commitment,
                            commitment.length == 0 ? -1 : height,
                            null,
                            -1,
                            height);
            state.putIdentity(entry);
            state.putKey(id, id);
            return;
        }
        IdentityEntry e = state.identity(tx.identityId());
        if (e == null) {
            throw new InvalidBlockException(
                    RejectReason.UNKNOWN_IDENTITY,
                    what + ": identity " + tx.identityId().shortId() + " is not registered");
        }
        if (e.revoked()) {
            throw new InvalidBlockException(
                    RejectReason.IDENTITY_REVOKED,
                    what
                            + ": identity "
                            + e.id().shortId()
                            + " was revoked at height "
                            + e.revokedAtHeight());
        }
        if (tx.sequence() != e.sequence() + 1) {
            throw new InvalidBlockException(
                    RejectReason.BAD_SEQUENCE,
                    what
                            + ": sequence "
                            + Long.toUnsignedString(tx.sequence())
                            + " (expected: "
                            + (e.sequence() + 1)
                            + ")");
        }
        if (verifySignatures) {
            verify(tx, 0, RsaKeys.parse(e.currentKey()), e.currentKeyId(), sigs);
        }
        long seq = tx.sequence();
        switch (tx.kind()) {
            case UPDATE_ADDRESSES:
                checkExpiry(what, tx.addresses(), blockTimeMillis);
                state.putIdentity(e.withAddresses(seq, tx.addresses()));
                break;
            case ROTATE_KEY:
                {
                    byte[] spki = tx.installedKey();
                    PeerId keyId = PeerId.ofSubjectPublicKeyInfo(spki);
                    if (state.identityOfKey(keyId) != null) {
                        throw new InvalidBlockException(
                                RejectReason.DUPLICATE_KEY,
                                what
                                        + ": key "
                                        + keyId.shortId()
                                        + " is or was used by an identity");
                    }
                    state.putIdentity(
                            e.withKey(
                                    seq,
                                    spki,
                                    keyId,
                                    new IdentityEntry.KeyEvent(keyId, height, block, txIndex)));
                    state.putKey(keyId, e.id());
                    break;
                }
            case REVOKE:
                state.putIdentity(e.withRevoked(seq, height));
                break;
            case COMMIT_NAME:
                if (e.name() != null) {
                    throw new InvalidBlockException(
                            RejectReason.NAME_ALREADY_SET,
                            what + ": identity " + e.id().shortId() + " already has a name");
                }
                state.putIdentity(
                        e.withCommitment(
                                seq,
                                tx.parsed().getCommitName().getCommitment().toByteArray(),
                                height));
                break;
            case REVEAL_NAME:
                {
                    String name = tx.parsed().getRevealName().getName();
                    if (e.name() != null) {
                        throw new InvalidBlockException(
                                RejectReason.NAME_ALREADY_SET,
                                what + ": identity " + e.id().shortId() + " already has a name");
                    }
                    byte[] expected =
                            LedgerHashes.nameCommitment(
                                    e.id().toBytes(),
                                    name,
                                    tx.parsed().getRevealName().getSalt().toByteArray());
                    if (e.pendingCommitment() == null
                            || !MessageDigest.isEqual(expected, e.pendingCommitment())) {
                        throw new InvalidBlockException(
                                RejectReason.NAME_NOT_COMMITTED,
                                what + ": no pending commitment matches the name and salt");
                    }
                    if (height < e.commitmentHeight() + params.nameRevealDelay()) {
                        throw new InvalidBlockException(
                                RejectReason.NAME_TOO_EARLY,
                                what
                                        + ": revealed at height "
                                        + height
                                        + ", earliest "
                                        + (e.commitmentHeight() + params.nameRevealDelay()));
                    }
                    if (state.nameOwner(name) != null) {
                        throw new InvalidBlockException(
                                RejectReason.DUPLICATE_NAME,
                                what + ": name '" + name + "' is taken");
                    }
                    state.putIdentity(e.withName(seq, name));
                    state.putName(name, e.id());
                    break;
                }
            default:
                throw new IllegalStateException("unexpected kind " + tx.kind());
        }
    }

    private static void checkExpiry(String what, List<RegisteredAddress> addresses, long blockTime)
            throws InvalidBlockException {
        for (RegisteredAddress a : addresses) {
            if (!a.isValidAt(blockTime)) {
                throw new InvalidBlockException(
                        RejectReason.BAD_ADDRESS,
                        what + ": address " + a.hostAndPort() + " expired before the block");
            }
        }
    }
}
