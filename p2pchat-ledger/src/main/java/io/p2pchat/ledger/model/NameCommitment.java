package io.p2pchat.ledger.model;

import io.p2pchat.identity.PeerId;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * A display name and the salt that hides it until it is revealed (commit-reveal, as Namecoin): the
 * commitment SHA-256("p2pchat/1 ledger name" || 0x00 || identity id || uint8 length || name ||
 * salt) goes on chain first; the name and salt follow at least {@link
 * NetworkParameters#nameRevealDelay()} blocks later. Binding the identity id into the commitment
 * stops anyone from reusing another identity's commitment, and a miner that sees a reveal cannot
 * claim the name first: its own commitment would be too recent.
 *
 * <p>Immutable and thread-safe. Keep it until the reveal: without the salt the commitment cannot be
 * opened. {@link #toString()} shows neither name nor salt.
 */
public final class NameCommitment {
    /** Salt length in bytes. */
    public static final int SALT_LENGTH = 32;

    private final String name;
    private final byte[] salt;

    private NameCommitment(String name, byte[] salt) {
        this.name = name;
        this.salt = salt;
    }

    /**
     * A commitment to {@code name} with a fresh random salt.
     *
     * @throws IllegalArgumentException if the name is not 1..32 characters of [a-z0-9._-] starting
     *     with a letter or digit
     */
    public static NameCommitment create(String name, SecureRandom random) {
        byte[] salt = new byte[SALT_LENGTH];
        random.nextBytes(salt);
        return of(name, salt);
    }

    /** A commitment to {@code name} with a given salt (copied). */
    public static NameCommitment of(String name, byte[] salt) {
        Objects.requireNonNull(name, "name");
        String problem = Names.problem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (salt.length != SALT_LENGTH) {
            throw new IllegalArgumentException("salt length: " + salt.length + " (expected: 32)");
        }
        return new NameCommitment(name, salt.clone());
    }

    /** The name. */
    public String name() {
        return name;
    }

    /** The salt (a copy). */
    public byte[] salt() {
        return salt.clone();
    }

    /** The 32-byte commitment for {@code identityId}. */
    public byte[] commitment(PeerId identityId) {
        return LedgerHashes.nameCommitment(identityId.toBytes(), name, salt);
    }

    @Override
    public String toString() {
        return "NameCommitment[hidden]";
    }
}
