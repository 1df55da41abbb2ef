package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The ledger state of one identity after some block: an immutable value, replaced (never changed)
 * by each transaction, so that undo data is simply the previous value.
 *
 * @param id the identity id: the registration key's PeerId
 * @param sequence the sequence number of the identity's last transaction
 * @param currentKey the DER SubjectPublicKeyInfo of the current key
 * @param currentKeyId SHA-256 of {@code currentKey}
 * @param keys every key the identity used, oldest first, with where each was set
 * @param addresses the current addresses
 * @param pendingCommitment the unrevealed name commitment, or null
 * @param commitmentHeight the height of the block that holds {@code pendingCommitment}
 * @param name the display name, or null
 * @param revokedAtHeight the height of the revocation, or -1
 * @param registeredAtHeight the height of the registration
 */
public record IdentityEntry(
        PeerId id,
        long sequence,
        byte[] currentKey,
        PeerId currentKeyId,
        List<KeyEvent> keys,
        List<RegisteredAddress> addresses,
        byte @Nullable [] pendingCommitment,
        long commitmentHeight,
        @Nullable String name,
        long revokedAtHeight,
        long registeredAtHeight) {

    /**
     * Where a key was installed.
     *
     * @param keyId SHA-256 of the key's SubjectPublicKeyInfo
     * @param height the block height
     * @param block the block hash
     * @param txIndex the transaction's index in the block
     */
    public record KeyEvent(PeerId keyId, long height, BlockHash block, int txIndex) {}

    /** Whether the identity is revoked. */
    public boolean revoked() {
        return revokedAtHeight >= 0;
    }

    /** Where the current key was installed. */
    public KeyEvent currentKeyEvent() {
        return keys.get(keys.size() - 1);
    }

    IdentityEntry withSequence(long seq) {
        return new IdentityEntry(
                id,
                seq,
                currentKey,
                currentKeyId,
                keys,
                addresses,
                pendingCommitment,
                commitmentHeight,
                name,
                revokedAtHeight,
                registeredAtHeight);
    }

    IdentityEntry withAddresses(long seq, List<RegisteredAddress> a) {
        return new IdentityEntry(
                id,
                seq,
                currentKey,
                currentKeyId,
                keys,
                a,
                pendingCommitment,
                commitmentHeight,
                name,
                revokedAtHeight,
                registeredAtHeight);
    }

    IdentityEntry withKey(long seq, byte[] key, PeerId keyId, KeyEvent event) {
        List<KeyEvent> k = new java.util.ArrayList<>(keys);
        k.add(event);
        return new IdentityEntry(
                id,
                seq,
                key,
                keyId,
                List.copyOf(k),
                addresses,
                pendingCommitment,
                commitmentHeight,
                name,
                revokedAtHeight,
                registeredAtHeight);
    }

    IdentityEntry withRevoked(long seq, long height) {
        return new IdentityEntry(
                id,
                seq,
                currentKey,
                currentKeyId,
                keys,
                addresses,
                pendingCommitment,
                commitmentHeight,
                name,
                height,
                registeredAtHeight);
    }

    IdentityEntry withCommitment(long seq, byte[] commitment, long height) {
        return new IdentityEntry(
                id,
                seq,
                currentKey,
                currentKeyId,
                keys,
                addresses,
                commitment,
                height,
                name,
                revokedAtHeight,
                registeredAtHeight);
    }

    IdentityEntry withName(long seq, String n) {
        return new IdentityEntry(
                id,
                seq,
                currentKey,
                currentKeyId,
                keys,
                addresses,
                null,
                -1,
                n,
                revokedAtHeight,
                registeredAtHeight);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof IdentityEntry)) {
            return false;
        }
        IdentityEntry e = (IdentityEntry) o;
        return id.equals(e.id)
                && sequence == e.sequence
                && java.util.Arrays.equals(currentKey, e.currentKey)
                && keys.equals(e.keys)
                && addresses.equals(e.addresses)
                && java.util.Arrays.equals(pendingCommitment, e.pendingCommitment)
                && commitmentHeight == e.commitmentHeight
                && java.util.Objects.equals(name, e.name)
                && revokedAtHeight == e.revokedAtHeight
                && registeredAtHeight == e.registeredAtHeight;
    }

    @Override
    public int hashCode() {
        return id.hashCode() * 31 + Long.hashCode(sequence);
    }

    @Override
    public String toString() {
        return "IdentityEntry["
                + id.shortId()
                + " seq="
                + sequence
                + " key="
                + currentKeyId.shortId()
                + (revoked() ? " revoked@" + revokedAtHeight : "")
                + (name != null ? " name=" + name : "")
                + "]";
    }
}
