package io.p2pchat.ledger;

import com.google.protobuf.ByteString;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.proto.CommitNameOp;
import io.p2pchat.proto.EndpointAddress;
import io.p2pchat.proto.RegisterOp;
import io.p2pchat.proto.RevealNameOp;
import io.p2pchat.proto.RevokeOp;
import io.p2pchat.proto.RotateKeyOp;
import io.p2pchat.proto.TxBody;
import io.p2pchat.proto.UpdateAddressesOp;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Creates signed identity transactions for one network: register, update addresses, rotate key,
 * revoke, commit and reveal a display name ({@code docs/ledger.md}, "Transactions").
 *
 * <p>Every transaction is signed (RSASSA-PSS) over "p2pchat/1 ledger tx" || 0x00 || body by the
 * identity's current key; a rotation also by the new key; a registration by the key it registers
 * (proof of possession covering the key, the addresses and the name commitment) and carries a
 * hashcash stamp, which costs about 2^stampBits SHA-256 evaluations (a second at the default 20
 * bits). Sequence numbers are the caller's: 0 for the registration, then one more per transaction
 * ({@link Ledger#nextSequence} tells the next one).
 *
 * <p>Immutable and thread-safe. Signing keys are only used, never kept.
 */
public final class IdentityTransactions {
    private final NetworkParameters params;
    private final SecureRandom random;

    private IdentityTransactions(NetworkParameters params, SecureRandom random) {
        this.params = params;
        this.random = random;
    }

    /** A factory for {@code params}'s network. */
    public static IdentityTransactions forNetwork(NetworkParameters params) {
        return new IdentityTransactions(
                Objects.requireNonNull(params, "params"), new SecureRandom());
    }

    /** A copy that draws salts and nonces from {@code random}. */
    public IdentityTransactions withRandom(SecureRandom random) {
        return new IdentityTransactions(params, Objects.requireNonNull(random, "random"));
    }

    /**
     * Registers {@code identity}'s key as a new identity, whose id is the key's {@link PeerId}.
     *
     * @param addresses up to 8 addresses
     * @param name an optional display name to commit to (revealed later with {@link #revealName})
     */
    public LedgerTransaction register(
            LocalIdentity identity,
            List<RegisteredAddress> addresses,
            @Nullable NameCommitment name) {
        checkAddresses(addresses);
        RegisterOp.Builder op =
                RegisterOp.newBuilder()
                        .setPublicKey(ByteString.copyFrom(identity.subjectPublicKeyInfo()))
                        .addAllAddresses(toProto(addresses));
        if (name != null) {
            op.setNameCommitment(ByteString.copyFrom(name.commitment(identity.peerId())));
        }
        TxBody.Builder body = base(identity.peerId(), 0).setRegister(op);
        byte[] bytes = stamp(body);
        return sign(bytes, identity);
    }

    /** Replaces the identity's addresses. */
    public LedgerTransaction updateAddresses(
            LocalIdentity currentKey,
            PeerId identityId,
            long sequence,
            List<RegisteredAddress> addresses) {
        checkAddresses(addresses);
        TxBody body =
                base(identityId, sequence)
                        .setUpdateAddresses(
                                UpdateAddressesOp.newBuilder().addAllAddresses(toProto(addresses)))
                        .build();
        return sign(body.toByteArray(), currentKey);
    }

    /**
     * Replaces the identity's key by {@code newKey}, signed by both keys (continuity proof). The
     * identity keeps its id.
     */
    public LedgerTransaction rotateKey(
            LocalIdentity currentKey, LocalIdentity newKey, PeerId identityId, long sequence) {
        TxBody body =
                base(identityId, sequence)
                        .setRotateKey(
                                RotateKeyOp.newBuilder()
                                        .setNewPublicKey(
                                                ByteString.copyFrom(newKey.subjectPublicKeyInfo())))
                        .build();
        return sign(body.toByteArray(), currentKey, newKey);
    }

    /** Revokes the identity for good: its key is refused everywhere once the block is accepted. */
    public LedgerTransaction revoke(LocalIdentity currentKey, PeerId identityId, long sequence) {
        TxBody body = base(identityId, sequence).setRevoke(RevokeOp.getDefaultInstance()).build();
        return sign(body.toByteArray(), currentKey);
    }

    /** Commits to a display name, to be revealed later. */
    public LedgerTransaction commitName(
            LocalIdentity currentKey, PeerId identityId, long sequence, NameCommitment name) {
        TxBody body =
                base(identityId, sequence)
                        .setCommitName(
                                CommitNameOp.newBuilder()
                                        .setCommitment(
                                                ByteString.copyFrom(name.commitment(identityId))))
                        .build();
        return sign(body.toByteArray(), currentKey);
    }

    /** Reveals a committed display name; the first valid reveal of a name in chain order wins. */
    public LedgerTransaction revealName(
            LocalIdentity currentKey, PeerId identityId, long sequence, NameCommitment name) {
        TxBody body =
                base(identityId, sequence)
                        .setRevealName(
                                RevealNameOp.newBuilder()
                                        .setName(name.name())
                                        .setSalt(ByteString.copyFrom(name.salt())))
                        .build();
        return sign(body.toByteArray(), currentKey);
    }

    private TxBody.Builder base(PeerId identityId, long sequence) {
        return TxBody.newBuilder()
                .setNetworkId(ByteString.copyFrom(params.networkId()))
                .setIdentityId(ByteString.copyFrom(identityId.toBytes()))
                .setSequence(sequence);
    }

    private static void checkAddresses(List<RegisteredAddress> addresses) {
        if (addresses.size() > NetworkParameters.MAX_ADDRESSES) {
            throw new IllegalArgumentException(
                    "addresses: "
                            + addresses.size()
                            + " (expected: <= "
                            + NetworkParameters.MAX_ADDRESSES
                            + ")");
        }
    }

    private static List<EndpointAddress> toProto(List<RegisteredAddress> addresses) {
        List<EndpointAddress> out = new ArrayList<>();
        for (RegisteredAddress a : addresses) {
            out.add(
                    EndpointAddress.newBuilder()
                            .setHost(a.host())
                            .setPort(a.port())
                            .setExpiresAt(a.expiresAtMillis())
                            .build());
        }
        return out;
    }

    /**
     * Finds a stamp nonce: tries nonces from a random start until the stamp hash is good enough.
     */
    private byte[] stamp(TxBody.Builder body) {
        long nonce = random.nextLong();
        long limit = 1L << Math.min(62, params.stampBits() + 12);
        for (long i = 0; i < limit; i++) {
            body.getRegisterBuilder().setStampNonce(nonce + i);
            byte[] bytes = body.build().toByteArray();
            if (LedgerHashes.leadingZeroBits(LedgerHashes.stampHash(bytes)) >= params.stampBits()) {
                return bytes;
            }
        }
        throw new IllegalStateException("no stamp found in " + limit + " attempts");
    }

    private LedgerTransaction sign(byte[] body, LocalIdentity... signers) {
        byte[] input = LedgerHashes.txSigningInput(body);
        List<ByteString> sigs = new ArrayList<>();
        try {
            for (LocalIdentity s : signers) {
                sigs.add(ByteString.copyFrom(s.sign(input, random)));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA-PSS signing failed", e);
        }
        return LedgerTransaction.of(Tx.encodeEnvelope(body, sigs));
    }
}
