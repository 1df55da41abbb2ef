package io.p2pchat.ledger.model;

import io.p2pchat.identity.PeerId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An identity as the best chain knows it: its id, current key with the history of its keys,
 * addresses, display name and revocation.
 *
 * <p>The id is the {@link PeerId} of the registration key and never changes; after a key rotation
 * {@link #currentKeyId()} differs from it. Every rotation in {@link #keyHistory()} was signed by
 * both the previous and the new key (continuity-proven), so a client may accept the new key without
 * a warning: {@link #rotatedWithContinuity()}.
 *
 * <p>Immutable and thread-safe: a snapshot, not updated when the chain moves.
 */
public final class IdentityRecord {
    /**
     * A key the identity used.
     *
     * @param keyId SHA-256 of the key's SubjectPublicKeyInfo
     * @param height the height of the block that installed it
     * @param block that block's hash
     * @param txIndex the transaction's index in the block
     */
    public record KeyRecord(PeerId keyId, long height, BlockHash block, int txIndex) {}

    private final PeerId id;
    private final byte[] currentKey;
    private final PeerId currentKeyId;
    private final List<KeyRecord> keyHistory;
    private final List<RegisteredAddress> addresses;
    private final String displayName;
    private final long revokedAtHeight;
    private final long sequence;
    private final long registeredAtHeight;

    /**
     * Created by the ledger from its state; applications get records from {@code Ledger.identity}.
     */
    public IdentityRecord(
            PeerId id,
            byte[] currentKey,
            PeerId currentKeyId,
            List<KeyRecord> keyHistory,
            List<RegisteredAddress> addresses,
            String displayName,
            long revokedAtHeight,
            long sequence,
            long registeredAtHeight) {
        this.id = Objects.requireNonNull(id, "id");
        this.currentKey = currentKey.clone();
        this.currentKeyId = Objects.requireNonNull(currentKeyId, "currentKeyId");
        this.keyHistory = List.copyOf(keyHistory);
        this.addresses = List.copyOf(addresses);
        this.displayName = displayName;
        this.revokedAtHeight = revokedAtHeight;
        this.sequence = sequence;
        this.registeredAtHeight = registeredAtHeight;
    }

    /** The identity id: the registration key's PeerId. */
    public PeerId id() {
        return id;
    }

    /** The current key's DER SubjectPublicKeyInfo (a copy). */
    public byte[] currentKey() {
        return currentKey.clone();
    }

    /** The current key's id: what a handshake with this identity presents as its PeerId. */
    public PeerId currentKeyId() {
        return currentKeyId;
    }

    /** Every key the identity used, oldest (the registration key) first, the current key last. */
    public List<KeyRecord> keyHistory() {
        return keyHistory;
    }

    /** Where the current key was installed. */
    public KeyRecord currentKeyRecord() {
        return keyHistory.get(keyHistory.size() - 1);
    }

    /** Whether the key was rotated at least once, each time with a continuity proof. */
    public boolean rotatedWithContinuity() {
        return keyHistory.size() > 1;
    }

    /** The registered addresses, including expired ones. */
    public List<RegisteredAddress> addresses() {
        return addresses;
    }

    /** The addresses still valid at {@code nowMillis}. */
    public List<RegisteredAddress> validAddresses(long nowMillis) {
        return addresses.stream().filter(a -> a.isValidAt(nowMillis)).toList();
    }

    /** The revealed display name. */
    public Optional<String> displayName() {
        return Optional.ofNullable(displayName);
    }

    /** Whether the identity is revoked. */
    public boolean revoked() {
        return revokedAtHeight >= 0;
    }

    /** The height of the revocation. */
    public OptionalLong revokedAtHeight() {
        return revokedAtHeight >= 0 ? OptionalLong.of(revokedAtHeight) : OptionalLong.empty();
    }

    /** The sequence number of the identity's last transaction on the best chain. */
    public long sequence() {
        return sequence;
    }

    /** The height of the registration. */
    public long registeredAtHeight() {
        return registeredAtHeight;
    }

    @Override
    public String toString() {
        return "IdentityRecord["
                + id.shortId()
                + (rotatedWithContinuity() ? " key=" + currentKeyId.shortId() : "")
                + (displayName != null ? " name=" + displayName : "")
                + (revoked() ? " revoked" : "")
                + "]";
    }
}
