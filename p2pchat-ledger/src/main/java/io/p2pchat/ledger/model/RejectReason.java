package io.p2pchat.ledger.model;

/**
 * Why a block or transaction was rejected: the stable reason codes of the ledger's validation rules
 * ({@code docs/ledger.md}, "Validation rules").
 *
 * <p>Each reason has a stable numeric {@link #code()} for logs and metrics, and three properties
 * that drive the node's reaction:
 *
 * <ul>
 *   <li>{@link #temporary()}: the item may become valid later (a timestamp too far in the future, a
 *       missing parent, a name revealed too early). It is not remembered as invalid and its sender
 *       is not punished.
 *   <li>{@link #cacheable()}: the failure is a property of the block header itself, so the block
 *       hash is remembered as invalid and a resend is rejected cheaply. Failures that only show
 *       that the transactions sent with a header do not match it (a wrong Merkle root, duplicates,
 *       size limits checked before the root) are not cached: the honest block with the same header
 *       is still accepted afterwards.
 *   <li>{@link #stateless()}: for a transaction, the failure does not depend on the ledger state,
 *       so a peer that relays it is misbehaving. A state-dependent failure (a sequence number
 *       already used, a name just taken) can happen to honest peers during a race.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public enum RejectReason {
    // --- block structure ---
    /** The block or header does not decode (wrong header length, bad container). */
    MALFORMED_BLOCK(1, false, false, true),
    /** Unknown header version. */
    BAD_VERSION(2, false, true, true),
    /** The header's, message's or transaction's network id is not this ledger's. */
    WRONG_NETWORK(3, false, true, true),
    /** The header hash is above its target (proof of work not done). */
    HIGH_HASH(4, false, true, true),
    /** The target is not the one the retarget rule gives, or exceeds the network's maximum. */
    BAD_DIFFICULTY(5, false, true, true),
    /** The timestamp is more than 2 hours after the local clock. Temporary. */
    TIME_TOO_NEW(6, true, false, true),
    /** The timestamp is not after the median of the previous 11 blocks. */
    TIME_TOO_OLD(7, false, true, true),
    /** The first block of a retarget window is more than 10 minutes before its parent. */
    TIME_WARP(8, false, true, true),
    /** The height is not the parent's height plus one. */
    BAD_HEIGHT(9, false, true, true),
    /** The parent block is known to be invalid. */
    BAD_PREVIOUS(10, false, true, true),
    /** The parent block is unknown (an orphan). Temporary. */
    UNKNOWN_PARENT(11, true, false, true),
    /** The block's bytes exceed the network's block size limit. */
    BLOCK_TOO_LARGE(12, false, false, true),
    /** The block holds more transactions than the network allows. */
    TOO_MANY_RECORDS(13, false, false, true),
    /** A transaction exceeds the network's transaction size limit. */
    RECORD_TOO_LARGE(14, false, false, true),
    /** The Merkle root of the transactions is not the header's. */
    BAD_RECORD_ROOT(15, false, false, true),
    /** The same transaction appears twice in the block. */
    DUPLICATE_RECORD(16, false, false, true),

    // --- transactions ---
    /** A transaction does not decode, is not canonically encoded, or lacks a required field. */
    MALFORMED_RECORD(17, false, true, true),
    /** A transaction signature is missing or does not verify under the required key. */
    BAD_RECORD_SIG(18, false, true, false),
    /** An RSA key that is not exactly 2048, 3072 or 4096 bits, or not a valid RSA key. */
    BAD_KEY_SIZE(19, false, true, true),
    /** A registration's proof-of-work stamp is too weak. */
    BAD_STAMP(20, false, true, true),
    /** The transaction concerns an identity that is not registered. */
    UNKNOWN_IDENTITY(21, false, true, false),
    /** A registration whose identity id is not SHA-256 of its key. */
    ID_KEY_MISMATCH(22, false, true, true),
    /** A registration of an identity id (a key) that is already registered, or was. */
    DUPLICATE_IDENTITY(23, false, true, false),
    /** A key rotation to a key that some identity uses or used. */
    DUPLICATE_KEY(24, false, true, false),
    /** The sequence number is not the identity's next one (a replay or a gap). */
    BAD_SEQUENCE(25, false, true, false),
    /** The identity is revoked: it can do nothing more. */
    IDENTITY_REVOKED(26, false, true, false),
    /** An address with a bad host or port, an expiry in the past, or too many addresses. */
    BAD_ADDRESS(27, false, true, false),
    /** A display name outside the allowed syntax, or a malformed commitment or salt. */
    BAD_NAME(28, false, true, true),
    /** The display name is taken by another identity. */
    DUPLICATE_NAME(29, false, true, false),
    /** A name reveal that matches no pending commitment of the identity. */
    NAME_NOT_COMMITTED(30, false, true, false),
    /** A name reveal fewer than the network's reveal delay blocks after its commitment. */
    NAME_TOO_EARLY(31, false, true, false),
    /** The identity already has a display name. */
    NAME_ALREADY_SET(32, false, true, false);

    private final int code;
    private final boolean temporary;
    private final boolean cacheable;
    private final boolean stateless;

    RejectReason(int code, boolean temporary, boolean cacheable, boolean stateless) {
        this.code = code;
        this.temporary = temporary;
        this.cacheable = cacheable;
        this.stateless = stateless;
    }

    /** The stable numeric code. */
    public int code() {
        return code;
    }

    /** Whether the item may become valid later; the sender is not punished. */
    public boolean temporary() {
        return temporary;
    }

    /** Whether the block hash is remembered as permanently invalid. */
    public boolean cacheable() {
        return cacheable;
    }

    /** Whether a transaction failing this way is invalid in any ledger state. */
    public boolean stateless() {
        return stateless;
    }
}
